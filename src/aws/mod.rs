//! The AWS layer: shared config/credentials profiles, STS sessions, IAM registration and the
//! session cache. Built in later issues (see SPEC §3, §5, §7).
