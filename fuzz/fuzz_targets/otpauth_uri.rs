//! Arbitrary text as a pasted TOTP secret (src/sources/totp/secret/): an `otpauth://totp/` URI
//! or a bare Base32 seed. Checks: parsing never panics; a secret accepted has a seed of 10 to 128
//! bytes, 6 or 8 digits and a period of 1 to 3600 s; its canonical URI parses to the same seed, algorithm, digits and period (and labels, where
//! the format can carry them);
//! its codes are 6 or 8 digits.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::sources::totp::{TotpParams, TotpSecret};

/// Whether the label can carry the issuer and account back. A `:` in either (percent-encoded
/// or not, the label is split at the first one after decoding, as the otpauth format says), or
/// spaces starting an account after an issuer (dropped like the format's optional `%20`), do not
/// survive the canonical URI: known, display-only (the code depends on seed, algorithm, digits
/// and period, checked always). docs/security.md lists it.
fn labels_round_trip(params: &TotpParams) -> bool {
    let colon = |t: &Option<String>| t.as_deref().is_some_and(|t| t.contains(':'));
    !colon(&params.issuer)
        && !colon(&params.account)
        && !(params.issuer.is_some()
            && params
                .account
                .as_deref()
                .is_some_and(|a| a.starts_with(char::is_whitespace)))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(secret) = TotpSecret::parse(text) else {
        return;
    };
    let params = secret.params();
    assert!((10..=128).contains(&secret.seed().len()));
    assert!(matches!(params.digits, 6 | 8));
    assert!((1..=3600).contains(&params.period));

    let uri = secret.to_uri();
    let again = TotpSecret::parse(uri.expose()).expect("the canonical URI parses");
    assert_eq!(again.seed().expose(), secret.seed().expose());
    assert_eq!(again.params().algorithm, params.algorithm);
    assert_eq!(again.params().digits, params.digits);
    assert_eq!(again.params().period, params.period);
    if labels_round_trip(params) {
        assert_eq!(again.params(), params);
    }

    let code = secret.code_at(1_767_225_600);
    assert_eq!(code.expose().len(), usize::from(params.digits));
    assert!(code.expose().bytes().all(|b| b.is_ascii_digit()));
});
