//! RFC 3339 timestamps, the form AWS uses for `Expiration` (`2026-05-01T12:00:00Z`), to and from
//! Unix seconds. Small enough to keep the session cache free of date crates and of the SDK.

/// 9999-12-31T23:59:59Z, the last moment with a four-digit year.
const LAST: u64 = 253_402_300_799;

/// `2026-05-01T12:00:00Z` for `unix` seconds (UTC, whole seconds).
pub fn format(unix: u64) -> String {
    let days = unix / 86_400;
    let rest = unix % 86_400;
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Unix seconds of an RFC 3339 timestamp: `YYYY-MM-DDTHH:MM:SS`, optional fraction (dropped),
/// then `Z` or `±HH:MM`. `None` for anything else, or a moment before 1970.
pub fn parse(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let o = rest.as_bytes();
            if o.len() != 6 || o[3] != b':' || !matches!(o[0], b'+' | b'-') {
                return None;
            }
            let hours: i64 = rest.get(1..3)?.parse().ok()?;
            let minutes: i64 = rest.get(4..6)?.parse().ok()?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let sign = if o[0] == b'-' { -1 } else { 1 };
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let seconds =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    // A leap second or a negative offset on the last day of 9999 lands in year 10000, which
    // `format` cannot write back as four digits: refused like a moment before 1970.
    u64::try_from(seconds).ok().filter(|&s| s <= LAST)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_moments() {
        assert_eq!(format(0), "1970-01-01T00:00:00Z");
        assert_eq!(format(1_800_000_000), "2027-01-15T08:00:00Z");
        assert_eq!(format(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(parse("2027-01-15T08:00:00Z"), Some(1_800_000_000));
        assert_eq!(parse("2000-02-29T00:00:00Z"), Some(951_782_400));
    }

    #[test]
    fn fractions_and_offsets() {
        assert_eq!(parse("2027-01-15T08:00:00.123Z"), Some(1_800_000_000));
        assert_eq!(parse("2027-01-15T10:00:00+02:00"), Some(1_800_000_000));
        assert_eq!(parse("2027-01-15T07:30:00-00:30"), Some(1_800_000_000));
        assert_eq!(parse("2027-01-15 08:00:00z"), Some(1_800_000_000));
    }

    #[test]
    fn round_trip() {
        for t in [
            0,
            59,
            86_399,
            86_400,
            1_700_000_000,
            4_102_444_800,
            253_402_300_799,
        ] {
            assert_eq!(parse(&format(t)), Some(t), "{t}");
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "2027-01-15",
            "2027-01-15T08:00:00",
            "2027-13-15T08:00:00Z",
            "2027-02-29T08:00:00Z",
            "2027-01-15T24:00:00Z",
            "2027-01-15T08:00:00.Z",
            "2027-01-15T08:00:00+0200",
            "2027-01-15X08:00:00Z",
            "1969-12-31T23:59:59Z",
            "+027-01-15T08:00:00Z",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn moments_after_year_9999_are_refused() {
        // Found by the rfc3339 fuzz target: these parsed to a moment `format` writes as 10000-….
        assert_eq!(parse("9999-12-31T23:59:59Z"), Some(LAST));
        assert_eq!(format(LAST), "9999-12-31T23:59:59Z");
        assert_eq!(parse("9999-12-31T23:59:60Z"), None);
        assert_eq!(parse("9999-12-31T23:59:59-00:01"), None);
    }
}
