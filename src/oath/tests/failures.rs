//! Failures: touch timeout, no OATH application, card removed mid-operation, bad answers.

use super::{AWS, T, trace, trace_file};
use crate::oath::{Instruction, OathError, OathSession};
use crate::transport::{ScriptedTransport, TransportError};

#[test]
fn an_untouched_touch_account_times_out() {
    let mut card = trace(trace_file!("touch_timeout"));
    let mut session = OathSession::select(&mut card).unwrap();
    let error = session
        .calculate(&"Touchy:carol".parse().unwrap(), T)
        .unwrap_err();
    assert!(
        matches!(&error, OathError::TouchTimeout { account } if account == "Touchy:carol"),
        "{error:?}"
    );
    drop(session);
    card.assert_finished();
}

#[test]
fn a_card_without_oath() {
    let mut card = trace(trace_file!("no_oath_application"));
    assert!(matches!(
        OathSession::select(&mut card),
        Err(OathError::NotAvailable)
    ));
}

#[test]
fn a_card_removed_mid_operation() {
    let mut card = trace(trace_file!("card_removed"));
    let mut session = OathSession::select(&mut card).unwrap();
    let error = session.calculate(&AWS.parse().unwrap(), T).unwrap_err();
    assert!(
        matches!(
            error,
            OathError::Transport(TransportError::CardRemoved { .. })
        ),
        "{error:?}"
    );
}

fn session_answering(answer: &str) -> Result<(), OathError> {
    let mut card = ScriptedTransport::from_trace(&format!(
        "> 00 A4 04 00 07 A0 00 00 05 27 21 01\n< 79 03 05 04 03 90 00\n\
         > 00 A1 00 00 00\n< {answer}\n"
    ))
    .unwrap();
    let mut session = OathSession::select(&mut card)?;
    session.list().map(drop)
}

#[test]
fn status_words_become_structured_errors() {
    let error = session_answering("6A 84").unwrap_err();
    assert!(matches!(error, OathError::NoSpace), "{error:?}");
    let error = session_answering("65 81").unwrap_err();
    assert!(
        matches!(
            error,
            OathError::MemoryFailure {
                instruction: Instruction::List
            }
        ),
        "{error:?}"
    );
    let error = session_answering("6A 80").unwrap_err();
    assert!(
        matches!(
            error,
            OathError::WrongData {
                instruction: Instruction::List
            }
        ),
        "{error:?}"
    );
    let error = session_answering("69 82").unwrap_err();
    assert!(matches!(error, OathError::PasswordRequired), "{error:?}");
    let error = session_answering("6F 00").unwrap_err();
    assert_eq!(error.to_string(), "LIST failed with status 6F00");
    let error = session_answering("72 05 21 61 90 00").unwrap_err();
    assert!(
        matches!(error, OathError::MalformedResponse { .. }),
        "{error:?}"
    );
}

#[test]
fn a_malformed_select_answer_is_an_error() {
    let mut card = ScriptedTransport::from_trace(
        "> 00 A4 04 00 07 A0 00 00 05 27 21 01\n< 71 08 01 02 90 00\n",
    )
    .unwrap();
    assert!(matches!(
        OathSession::select(&mut card),
        Err(OathError::MalformedResponse {
            instruction: Instruction::Select,
            ..
        })
    ));
}

/// A Nitrokey 3 with an SHA512 account refuses CALCULATE ALL with `6A81`: the accounts come from
/// LIST alone (digits and touch unknown), and the refusal is kept for the note.
#[test]
fn accounts_fall_back_to_list_when_calculate_all_is_refused() {
    let mut card = ScriptedTransport::from_trace(
        "> 00 A4 04 00 07 A0 00 00 05 27 21 01\n< 79 03 04 10 00 90 00\n\
         > 00 A1 00 00 00\n< 72 03 23 73 35 72 03 21 61 31 90 00\n\
         > 00 A4 00 01 0A 74 08 00 00 00 00 03 60 AA 2A\n< 6A 81\n",
    )
    .unwrap();
    let mut session = OathSession::select(&mut card).unwrap();
    let accounts = session.accounts(T).unwrap();
    assert_eq!(accounts.credentials.len(), 2);
    assert!(
        accounts
            .credentials
            .iter()
            .all(|c| c.digits.is_none() && c.touch.is_none())
    );
    assert!(
        matches!(
            accounts.incomplete,
            Some(OathError::FunctionNotSupported {
                instruction: Instruction::CalculateAll,
                ..
            })
        ),
        "{:?}",
        accounts.incomplete
    );
    drop(session);
    card.assert_finished();
}
