#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::rc::Rc;

use super::*;
use crate::keystore::MemoryStore;
use crate::secret::SecretString;
use crate::sources::process::{ProcessSource, ProcessStdin};
use crate::sources::prompt::{PromptInputs, PromptSource};
use crate::sources::totp::{FileStore, StoreKind, TotpSecret, TotpSource, TotpStore};
use crate::terminal::ScriptedTerminal;

const ARN: &str = "arn:aws:iam::123456789012:mfa/alice";

fn request() -> CodeRequest<'static> {
    CodeRequest {
        mfa_serial: ARN,
        oath_account: None,
        unix_time: 59,
    }
}

/// What a fake source answers.
#[derive(Clone)]
enum Answer {
    Code(&'static str),
    Unavailable(&'static str),
    Interrupted,
}

/// A source that answers as told and records that it was asked.
struct Fake {
    kind: SourceKind,
    answer: Answer,
    asked: Rc<RefCell<Vec<SourceKind>>>,
}

impl CodeSource for Fake {
    fn kind(&self) -> SourceKind {
        self.kind
    }

    fn code(
        &mut self,
        _request: &CodeRequest<'_>,
        _terminal: &mut dyn Terminal,
    ) -> Result<MfaCode, SourceError> {
        self.asked.borrow_mut().push(self.kind);
        match self.answer.clone() {
            Answer::Code(c) => MfaCode::new(SecretString::new(c.into()), None, self.kind),
            Answer::Unavailable(reason) => Err(SourceError::Unavailable {
                kind: self.kind,
                reason: reason.into(),
            }),
            Answer::Interrupted => Err(SourceError::Interrupted),
        }
    }
}

fn chain(answers: &[(SourceKind, Answer)]) -> (AutoSource, Rc<RefCell<Vec<SourceKind>>>) {
    let asked = Rc::new(RefCell::new(Vec::new()));
    let sources = answers
        .iter()
        .map(|(kind, answer)| {
            Box::new(Fake {
                kind: *kind,
                answer: answer.clone(),
                asked: asked.clone(),
            }) as Box<dyn CodeSource>
        })
        .collect();
    (AutoSource::new(sources), asked)
}

fn explanations(terminal: &ScriptedTerminal) -> Vec<String> {
    terminal
        .explanations
        .iter()
        .map(|(level, text)| {
            assert_eq!(*level, 1, "{text}");
            text.clone()
        })
        .collect()
}

#[test]
fn unavailable_sources_pass_to_the_next_in_order() {
    let (mut auto, asked) = chain(&[
        (
            SourceKind::Yubikey,
            Answer::Unavailable("no YubiKey present"),
        ),
        (
            SourceKind::Totp,
            Answer::Unavailable("no software secret stored for it"),
        ),
        (SourceKind::Process, Answer::Code("123456")),
        (SourceKind::Prompt, Answer::Code("999999")),
    ]);
    assert_eq!(
        auto.kinds(),
        [
            SourceKind::Yubikey,
            SourceKind::Totp,
            SourceKind::Process,
            SourceKind::Prompt
        ]
    );
    assert_eq!(auto.kind(), SourceKind::Yubikey);
    let mut terminal = ScriptedTerminal::headless();
    let code = auto.code(&request(), &mut terminal).unwrap();
    assert_eq!(code.expose(), "123456");
    assert_eq!(code.source, SourceKind::Process);
    assert_eq!(auto.kind(), SourceKind::Process);
    assert_eq!(
        *asked.borrow(),
        [SourceKind::Yubikey, SourceKind::Totp, SourceKind::Process]
    );
    assert_eq!(
        explanations(&terminal),
        [
            "trying the YubiKey".to_owned(),
            format!("no YubiKey present: trying the software secret for {ARN}"),
            "no software secret stored for it: trying mfa_process".to_owned(),
            "got the code from mfa_process".to_owned(),
        ]
    );
}

#[test]
fn the_first_source_that_answers_ends_the_chain() {
    let (mut auto, asked) = chain(&[
        (SourceKind::Yubikey, Answer::Code("111111")),
        (SourceKind::Prompt, Answer::Code("999999")),
    ]);
    let mut terminal = ScriptedTerminal::headless();
    assert_eq!(
        auto.code(&request(), &mut terminal).unwrap().expose(),
        "111111"
    );
    assert_eq!(*asked.borrow(), [SourceKind::Yubikey]);
    assert_eq!(
        explanations(&terminal),
        ["trying the YubiKey", "got the code from YubiKey"]
    );
}

#[test]
fn other_errors_stop_the_chain() {
    let (mut auto, asked) = chain(&[
        (SourceKind::Yubikey, Answer::Interrupted),
        (SourceKind::Prompt, Answer::Code("999999")),
    ]);
    let err = auto
        .code(&request(), &mut ScriptedTerminal::headless())
        .unwrap_err();
    assert!(matches!(err, SourceError::Interrupted), "{err:?}");
    assert_eq!(*asked.borrow(), [SourceKind::Yubikey]);
}

#[test]
fn all_unavailable_says_every_reason() {
    let (mut auto, _) = chain(&[
        (
            SourceKind::Yubikey,
            Answer::Unavailable("no YubiKey present"),
        ),
        (SourceKind::Totp, Answer::Unavailable("no software secret")),
    ]);
    let mut terminal = ScriptedTerminal::headless();
    let err = auto.code(&request(), &mut terminal).unwrap_err();
    let SourceError::Unavailable { kind, reason } = err else {
        panic!("{err:?}")
    };
    assert_eq!(kind, SourceKind::Totp);
    assert_eq!(reason, "no YubiKey present; no software secret");
    assert_eq!(
        explanations(&terminal).last().map(String::as_str),
        Some("no software secret")
    );

    let err = AutoSource::new(Vec::new())
        .code(&request(), &mut ScriptedTerminal::headless())
        .unwrap_err();
    assert!(matches!(err, SourceError::Unavailable { .. }), "{err:?}");
}

/// The real sources behind a missing YubiKey: nothing stored → mfa_process.
#[test]
fn real_sources_in_auto_order() {
    let dir = tempfile::tempdir().unwrap();
    let asked = Rc::new(RefCell::new(Vec::new()));
    let store = || TotpStore::new(FileStore::new(dir.path()), Box::new(MemoryStore::default()));
    let yubikey = || {
        Box::new(Fake {
            kind: SourceKind::Yubikey,
            answer: Answer::Unavailable("no YubiKey present"),
            asked: asked.clone(),
        }) as Box<dyn CodeSource>
    };
    let prompt = || {
        Box::new(PromptSource::new(PromptInputs {
            stdin: None,
            env_code: Some(SecretString::new("222222".into())),
        })) as Box<dyn CodeSource>
    };

    let mut auto = AutoSource::new(vec![
        yubikey(),
        Box::new(TotpSource::new(store())),
        Box::new(ProcessSource::new("echo 135790", ProcessStdin::Null)),
        prompt(),
    ]);
    let mut terminal = ScriptedTerminal::headless();
    let code = auto.code(&request(), &mut terminal).unwrap();
    assert_eq!(
        (code.expose(), code.source),
        ("135790", SourceKind::Process)
    );
    let level1: Vec<&str> = terminal
        .explanations
        .iter()
        .filter(|(level, _)| *level == 1)
        .map(|(_, text)| text.as_str())
        .collect();
    assert_eq!(
        level1[1],
        format!("no YubiKey present: trying the software secret for {ARN}")
    );
    assert_eq!(
        level1[2],
        format!("no software secret stored for {ARN}: trying mfa_process")
    );

    // With a secret stored, the software secret answers (RFC 6238 at T=59).
    let secret = TotpSecret::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    store().put(ARN, &secret, StoreKind::File, false).unwrap();
    let mut auto = AutoSource::new(vec![
        yubikey(),
        Box::new(TotpSource::new(store())),
        prompt(),
    ]);
    let code = auto
        .code(&request(), &mut ScriptedTerminal::headless())
        .unwrap();
    assert_eq!((code.expose(), code.step), ("287082", Some(1)));

    // Nothing else: the prompt's MFA_CODE.
    let mut auto = AutoSource::new(vec![yubikey(), prompt()]);
    let code = auto
        .code(&request(), &mut ScriptedTerminal::headless())
        .unwrap();
    assert_eq!((code.expose(), code.source), ("222222", SourceKind::Prompt));
}

#[test]
fn plan_auto_order() {
    use SourceKind::*;
    let with_process = plan(None, None, true).unwrap();
    assert_eq!(with_process.kinds, [Yubikey, Totp, Process, Prompt]);
    assert_eq!(
        (with_process.setting, with_process.origin),
        (SourceSetting::Auto, SettingOrigin::Default)
    );
    assert_eq!(
        plan(None, None, false).unwrap().kinds,
        [Yubikey, Totp, Prompt]
    );
    assert_eq!(
        plan(None, Some("  "), false).unwrap().origin,
        SettingOrigin::Default
    );
}

#[test]
fn plan_flag_wins_over_profile() {
    use SourceKind::*;
    let p = plan(Some(SourceSetting::Prompt), Some("yubikey"), true).unwrap();
    assert_eq!((p.kinds, p.origin), (vec![Prompt], SettingOrigin::Flag));
    // The flag wins even over a profile value that is not valid.
    let p = plan(Some(SourceSetting::Totp), Some("bogus"), false).unwrap();
    assert_eq!(p.kinds, [Totp]);
    let p = plan(None, Some("YubiKey"), true).unwrap();
    assert_eq!((p.kinds, p.origin), (vec![Yubikey], SettingOrigin::Profile));
    assert_eq!(plan(None, Some(" auto "), false).unwrap().kinds.len(), 3);
    assert_eq!(
        plan(Some(SourceSetting::Process), None, true)
            .unwrap()
            .kinds,
        [Process]
    );
}

#[test]
fn plan_errors_are_configuration_errors() {
    let err = plan(None, Some("carrier-pigeon"), true).unwrap_err();
    assert_eq!(
        err,
        PlanError::UnknownSetting {
            value: "carrier-pigeon".into()
        }
    );
    assert!(err.to_string().contains("carrier-pigeon"));
    let err = plan(None, Some("process"), false).unwrap_err();
    assert_eq!(
        err,
        PlanError::NoProcess {
            origin: SettingOrigin::Profile
        }
    );
    assert!(err.to_string().contains("no mfa_process"));
    assert!(matches!(
        plan(Some(SourceSetting::Process), None, false),
        Err(PlanError::NoProcess {
            origin: SettingOrigin::Flag
        })
    ));
}

#[test]
fn settings_parse_and_print() {
    for name in SourceSetting::NAMES {
        let setting: SourceSetting = name.parse().unwrap();
        assert_eq!(setting.to_string(), name);
    }
    assert_eq!("TOTP".parse(), Ok(SourceSetting::Totp));
    assert!("".parse::<SourceSetting>().is_err());
}
