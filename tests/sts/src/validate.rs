//! STS parameter constraints, answered with AWS's `ValidationError` wording
//! ("1 validation error detected: Value 'x' at 'tokenCode' failed to satisfy constraint: …").

use crate::form::Params;
use crate::xml::StsError;

fn violation(value: Option<&str>, field: &str, constraint: &str) -> StsError {
    let value = value.map_or("null".to_string(), |v| format!("'{v}'"));
    StsError::validation(format!(
        "1 validation error detected: Value {value} at '{field}' failed to satisfy constraint: {constraint}"
    ))
}

/// A required string with length bounds and a character class (`extra` besides `\w`).
pub fn text<'a>(
    params: &'a Params,
    name: &str,
    field: &str,
    (min, max): (usize, usize),
    extra: &str,
) -> Result<Option<&'a str>, StsError> {
    let Some(value) = params.get(name) else {
        return Ok(None);
    };
    let len = value.chars().count();
    if len < min {
        return Err(violation(
            Some(value),
            field,
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if len > max {
        return Err(violation(
            Some(value),
            field,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    if !value
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || extra.contains(c))
    {
        return Err(violation(
            Some(value),
            field,
            &format!("Member must satisfy regular expression pattern: [\\w{extra}]*"),
        ));
    }
    Ok(Some(value))
}

/// A parameter that must be present.
pub fn required<'a>(value: Option<&'a str>, field: &str) -> Result<&'a str, StsError> {
    value.ok_or_else(|| violation(None, field, "Member must not be null"))
}

/// `TokenCode`: exactly six digits.
pub fn token_code(params: &Params) -> Result<Option<&str>, StsError> {
    let Some(code) = params.get("TokenCode") else {
        return Ok(None);
    };
    let field = "tokenCode";
    if code.len() < 6 {
        return Err(violation(
            Some(code),
            field,
            "Member must have length greater than or equal to 6",
        ));
    }
    if code.len() > 6 {
        return Err(violation(
            Some(code),
            field,
            "Member must have length less than or equal to 6",
        ));
    }
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(violation(
            Some(code),
            field,
            "Member must satisfy regular expression pattern: [\\d]*",
        ));
    }
    Ok(Some(code))
}

/// `SerialNumber`: 9..=256 of `[\w+=/:,.@-]`.
pub fn serial(params: &Params) -> Result<Option<&str>, StsError> {
    text(params, "SerialNumber", "serialNumber", (9, 256), "+=/:,.@-")
}

/// `DurationSeconds` within `min..=max`, or `default` when absent.
pub fn duration(params: &Params, min: u32, max: u32, default: u32) -> Result<u32, StsError> {
    let Some(text) = params.get("DurationSeconds") else {
        return Ok(default);
    };
    let field = "durationSeconds";
    let value: i64 = text.parse().map_err(|_| {
        StsError::validation(format!(
            "Value '{text}' for parameter DurationSeconds is invalid. Must be an integer."
        ))
    })?;
    if value < i64::from(min) {
        return Err(violation(
            Some(text),
            field,
            &format!("Member must have value greater than or equal to {min}"),
        ));
    }
    if value > i64::from(max) {
        return Err(violation(
            Some(text),
            field,
            &format!("Member must have value less than or equal to {max}"),
        ));
    }
    Ok(u32::try_from(value).unwrap_or(max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_codes() {
        assert_eq!(
            token_code(&Params::parse("TokenCode=012345")),
            Ok(Some("012345"))
        );
        assert_eq!(token_code(&Params::parse("")), Ok(None));
        for bad in ["12345", "1234567", "12345a"] {
            let params = Params::parse(&format!("TokenCode={bad}"));
            let err = token_code(&params);
            assert!(
                matches!(err, Err(e) if e.code == "ValidationError"),
                "{bad}"
            );
        }
    }

    #[test]
    fn durations() {
        let p = |s: &str| Params::parse(s);
        assert_eq!(duration(&p(""), 900, 129_600, 43_200), Ok(43_200));
        assert_eq!(
            duration(&p("DurationSeconds=900"), 900, 129_600, 1),
            Ok(900)
        );
        let err = duration(&p("DurationSeconds=899"), 900, 129_600, 1);
        assert_eq!(
            err.map_err(|e| e.message),
            Err("1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900".to_string())
        );
        assert!(duration(&p("DurationSeconds=129601"), 900, 129_600, 1).is_err());
        assert!(duration(&p("DurationSeconds=x"), 900, 129_600, 1).is_err());
    }

    #[test]
    fn serials_and_names() {
        assert!(serial(&Params::parse("SerialNumber=GAHT12345678")).is_ok());
        assert!(serial(&Params::parse("SerialNumber=short")).is_err());
        assert!(serial(&Params::parse("SerialNumber=arn%20with%20spaces")).is_err());
        let p = Params::parse("RoleSessionName=a");
        assert!(text(&p, "RoleSessionName", "roleSessionName", (2, 64), "+=,.@-").is_err());
        assert_eq!(
            required(None, "roleArn").map_err(|e| e.message),
            Err("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null".to_string())
        );
    }
}
