//! Code sources: where an MFA code comes from — the YubiKey's OATH application, a software TOTP
//! secret, an `mfa_process` command, or a prompt (SPEC §4).
