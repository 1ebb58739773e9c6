//! Verifying a `SerialNumber` + `TokenCode` pair the way AWS does for virtual devices: the
//! serial must be the user's device, the code must match the current 30 s step or one step
//! either side, and a step at or before the last accepted one for that serial is a reuse.

use crate::config::User;
use crate::totp::{code_at_step, decode_base32, step_of};
use crate::xml::{MSG_INVALID_CODE, MSG_WRONG_SERIAL, StsError};
use std::collections::HashMap;

/// Checks `code` for `user` at `now` (Unix seconds) and records the accepted step.
pub fn verify(
    user: &User,
    serial: &str,
    code: &str,
    now: i64,
    last_steps: &mut HashMap<String, u64>,
) -> Result<(), StsError> {
    let Some(mfa) = user.mfa.as_ref().filter(|m| m.serial == serial) else {
        return Err(StsError::access_denied(MSG_WRONG_SERIAL));
    };
    let Some(key) = decode_base32(&mfa.seed_base32) else {
        // Seeds are validated when the double starts.
        return Err(StsError::internal_failure());
    };
    let current = step_of(u64::try_from(now).unwrap_or(0));
    let last = last_steps.get(serial).copied();
    let accepted = [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .filter(|step| constant_time_eq(code_at_step(&key, *step).as_bytes(), code.as_bytes()))
        .find(|step| last.is_none_or(|last| *step > last));
    match accepted {
        Some(step) => {
            last_steps.insert(serial.to_string(), step);
            Ok(())
        }
        None => Err(StsError::access_denied(MSG_INVALID_CODE)),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Mfa;

    const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

    fn alice() -> User {
        User {
            name: "alice".into(),
            account: "123456789012".into(),
            access_key_id: "AKIAALICE".into(),
            secret_access_key: "secret".into(),
            mfa: Some(Mfa {
                serial: SERIAL.into(),
                seed_base32: SEED.into(),
            }),
        }
    }

    fn code(step: u64) -> String {
        code_at_step(b"12345678901234567890", step)
    }

    #[test]
    fn accepts_current_and_adjacent_steps_once() {
        let now = 1_800_000_000;
        let step = step_of(now as u64);
        let mut last = HashMap::new();
        let user = alice();
        assert_eq!(
            verify(&user, SERIAL, &code(step - 1), now, &mut last),
            Ok(())
        );
        assert_eq!(last.get(SERIAL), Some(&(step - 1)));
        // Same code again: reuse.
        let err = verify(&user, SERIAL, &code(step - 1), now, &mut last);
        assert_eq!(err, Err(StsError::access_denied(MSG_INVALID_CODE)));
        assert_eq!(
            verify(&user, SERIAL, &code(step + 1), now, &mut last),
            Ok(())
        );
        // The current step is now older than the last accepted one.
        let err = verify(&user, SERIAL, &code(step), now, &mut last);
        assert_eq!(err, Err(StsError::access_denied(MSG_INVALID_CODE)));
    }

    #[test]
    fn rejects_codes_outside_the_window() {
        let now = 1_800_000_000;
        let step = step_of(now as u64);
        let mut last = HashMap::new();
        for far in [step - 2, step + 2] {
            let err = verify(&alice(), SERIAL, &code(far), now, &mut last);
            assert_eq!(err, Err(StsError::access_denied(MSG_INVALID_CODE)));
        }
        assert!(last.is_empty());
    }

    #[test]
    fn rejects_a_serial_that_is_not_the_users() {
        let mut last = HashMap::new();
        let err = verify(
            &alice(),
            "arn:aws:iam::123456789012:mfa/bob",
            "123456",
            0,
            &mut last,
        );
        assert_eq!(err, Err(StsError::access_denied(MSG_WRONG_SERIAL)));
        let mut no_device = alice();
        no_device.mfa = None;
        let err = verify(&no_device, SERIAL, "123456", 0, &mut last);
        assert_eq!(err, Err(StsError::access_denied(MSG_WRONG_SERIAL)));
    }
}
