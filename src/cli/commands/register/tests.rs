//! The procedure's decisions against a scripted IAM and a scripted seed target: what is undone,
//! what is kept, and what is recorded, when `EnableMFADevice` fails in each way.

#![allow(clippy::unwrap_used)]

use std::cell::{Cell, RefCell};

use super::*;
use crate::aws::iam::{CreatedDevice, VirtualDevice};
use crate::secret::SecretString;
use crate::terminal::ScriptedTerminal;

const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
const ACCOUNT: &str = "Amazon Web Services:alice@123456789012";

/// IAM as a script: what `EnableMFADevice` answers, whether it takes effect, whether IAM can be
/// asked afterwards.
#[derive(Default)]
struct ScriptedIam {
    enable_answer: RefCell<Option<IamError>>,
    enable_takes_effect: bool,
    unreachable_after_enable: bool,
    enable_sent: Cell<bool>,
    enabled: RefCell<Vec<String>>,
    virtual_devices: RefCell<Vec<String>>,
}

fn unreachable(action: &'static str) -> IamError {
    IamError::Unreachable {
        action,
        endpoint: "http://127.0.0.1:9".into(),
        detail: "connection refused".into(),
    }
}

impl ScriptedIam {
    fn down(&self, action: &'static str) -> Result<(), IamError> {
        if self.unreachable_after_enable && self.enable_sent.get() {
            return Err(unreachable(action));
        }
        Ok(())
    }
}

impl Iam for ScriptedIam {
    fn create_virtual_mfa_device(&self, name: &str) -> Result<CreatedDevice, IamError> {
        let serial = format!("arn:aws:iam::123456789012:mfa/{name}");
        self.virtual_devices.borrow_mut().push(serial.clone());
        Ok(CreatedDevice {
            serial,
            seed_base32: SecretString::new("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".into()),
        })
    }

    fn enable_mfa_device(
        &self,
        _: &str,
        serial: &str,
        _: &SecretString,
        _: &SecretString,
    ) -> Result<(), IamError> {
        self.enable_sent.set(true);
        if self.enable_takes_effect {
            self.enabled.borrow_mut().push(serial.to_owned());
        }
        match self.enable_answer.borrow_mut().take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn list_mfa_devices(&self, _: &str) -> Result<Vec<String>, IamError> {
        self.down("ListMFADevices")?;
        Ok(self.enabled.borrow().clone())
    }

    fn list_virtual_mfa_devices(&self) -> Result<Vec<VirtualDevice>, IamError> {
        self.down("ListVirtualMFADevices")?;
        Ok(Vec::new())
    }

    fn deactivate_mfa_device(&self, _: &str, _: &str) -> Result<(), IamError> {
        self.down("DeactivateMFADevice")
    }

    fn delete_virtual_mfa_device(&self, serial: &str) -> Result<(), IamError> {
        self.down("DeleteVirtualMFADevice")?;
        self.virtual_devices.borrow_mut().retain(|s| s != serial);
        Ok(())
    }
}

/// A key that stores the seed and computes codes from it.
#[derive(Default)]
struct ScriptedKey {
    seed: Option<TotpSecret>,
    undone: bool,
}

impl Target for ScriptedKey {
    fn label(&self) -> String {
        "the scripted key".into()
    }

    fn check(&mut self, _: bool, _: &mut dyn Terminal) -> Result<(), Failure> {
        Ok(())
    }

    fn store(&mut self, seed: &TotpSecret, _: &mut dyn Terminal) -> Result<(), Failure> {
        self.seed = Some(seed.clone());
        Ok(())
    }

    fn codes(
        &mut self,
        times: [u64; 2],
        _: &mut dyn Terminal,
    ) -> Result<[SecretString; 2], Failure> {
        let seed = self.seed.as_ref().unwrap();
        Ok([seed.code_at(times[0]), seed.code_at(times[1])])
    }

    fn undo(&mut self, _: &mut dyn Terminal) -> Result<(), target::Left> {
        self.seed = None;
        self.undone = true;
        Ok(())
    }

    fn oath_account(&self) -> Option<String> {
        Some(ACCOUNT.into())
    }
}

struct Run {
    result: Result<Registered, Failure>,
    key: ScriptedKey,
    terminal: ScriptedTerminal,
    recorded: Vec<Pending>,
}

fn register_with(iam: &ScriptedIam) -> Run {
    let cache = tempfile::tempdir().unwrap();
    let plan = Plan {
        user: "alice",
        device_name: "alice",
        serial: SERIAL,
        add: false,
        force: false,
        hardware_seed: false,
    };
    let mut key = ScriptedKey::default();
    let mut terminal = ScriptedTerminal::headless();
    let result = register(&mut terminal, iam, Some(cache.path()), &plan, &mut key);
    Run {
        result,
        key,
        terminal,
        recorded: pending::load(cache.path()),
    }
}

#[test]
fn an_enabled_device_keeps_its_seed_and_records_nothing() {
    let iam = ScriptedIam {
        enable_takes_effect: true,
        ..ScriptedIam::default()
    };
    let run = register_with(&iam);
    assert_eq!(run.result.unwrap().serial, SERIAL);
    assert!(run.key.seed.is_some() && !run.key.undone);
    assert!(run.recorded.is_empty());
}

#[test]
fn a_lost_answer_with_the_device_listed_is_a_registration_and_says_so() {
    let iam = ScriptedIam {
        enable_answer: RefCell::new(Some(IamError::ConnectionLost {
            action: "EnableMFADevice",
            endpoint: "http://127.0.0.1:9".into(),
            detail: "connection closed".into(),
        })),
        enable_takes_effect: true,
        ..ScriptedIam::default()
    };
    let run = register_with(&iam);
    assert_eq!(run.result.unwrap().serial, SERIAL);
    assert!(!run.key.undone);
    assert!(
        run.terminal
            .notices
            .iter()
            .any(|n| n.contains("the answer to EnableMFADevice was lost")),
        "{:?}",
        run.terminal.notices
    );
    assert_eq!(*iam.virtual_devices.borrow(), [SERIAL]);
}

#[test]
fn a_lost_answer_with_iam_unreachable_keeps_the_seed_and_records_it() {
    let iam = ScriptedIam {
        enable_answer: RefCell::new(Some(IamError::ConnectionLost {
            action: "EnableMFADevice",
            endpoint: "http://127.0.0.1:9".into(),
            detail: "connection closed before the answer".into(),
        })),
        enable_takes_effect: true,
        unreachable_after_enable: true,
        ..ScriptedIam::default()
    };
    let run = register_with(&iam);
    assert!(run.result.is_err());
    assert!(
        !run.key.undone,
        "the seed of a maybe-enabled device was removed"
    );
    assert_eq!(
        run.recorded,
        [Pending {
            user: "alice".into(),
            serial: SERIAL.into(),
            virtual_device: true,
            oath_account: Some(ACCOUNT.into()),
            yubikey_serial: None,
            software_name: None,
        }]
    );
}

#[test]
fn refused_codes_undo_the_key_and_iam() {
    let iam = ScriptedIam {
        enable_answer: RefCell::new(Some(IamError::InvalidCodes {
            action: "EnableMFADevice",
            message: "Authentication code for device is not valid.".into(),
        })),
        ..ScriptedIam::default()
    };
    let run = register_with(&iam);
    assert!(run.result.is_err());
    assert!(run.key.undone);
    assert!(iam.virtual_devices.borrow().is_empty());
    assert!(run.recorded.is_empty());
}

#[test]
fn an_error_answer_for_a_device_iam_lists_enabled_is_a_registration() {
    let iam = ScriptedIam {
        enable_answer: RefCell::new(Some(IamError::ServerError {
            action: "EnableMFADevice",
            status: 500,
            message: "internal error".into(),
        })),
        enable_takes_effect: true,
        ..ScriptedIam::default()
    };
    let run = register_with(&iam);
    assert_eq!(run.result.unwrap().serial, SERIAL);
    assert!(!run.key.undone);
    assert_eq!(*iam.virtual_devices.borrow(), [SERIAL]);
    assert!(run.recorded.is_empty());
}

#[test]
fn an_enable_request_that_never_left_is_undone_even_with_iam_unreachable() {
    // Connection refused: EnableMFADevice cannot have taken effect, so the key is cleaned.
    let iam = ScriptedIam {
        enable_answer: RefCell::new(Some(unreachable("EnableMFADevice"))),
        unreachable_after_enable: true,
        ..ScriptedIam::default()
    };
    let run = register_with(&iam);
    assert!(run.result.is_err());
    assert!(run.key.undone);
    assert_eq!(run.recorded.len(), 1);
    assert!(run.recorded[0].virtual_device);
    assert_eq!(run.recorded[0].oath_account, None);
}
