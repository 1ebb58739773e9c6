//! The double's clock (system time plus a configurable offset, for skew tests) and the two
//! date formats STS speaks: RFC 1123 for the `Date` header, ISO 8601 for `Expiration`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// System time shifted by an offset that can change while the server runs.
#[derive(Debug, Default)]
pub struct Clock {
    offset_secs: AtomicI64,
}

impl Clock {
    pub fn new(offset_secs: i64) -> Clock {
        Clock {
            offset_secs: AtomicI64::new(offset_secs),
        }
    }

    pub fn set_offset(&self, offset_secs: i64) {
        self.offset_secs.store(offset_secs, Ordering::Relaxed);
    }

    /// The server's idea of now, in Unix seconds.
    pub fn now(&self) -> i64 {
        let system = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(elapsed) => i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
        };
        system.saturating_add(self.offset_secs.load(Ordering::Relaxed))
    }
}

/// Civil date of a Unix time: (year, month 1-12, day 1-31, seconds into the day, weekday 0=Sun).
fn civil(unix: i64) -> (i64, u32, u32, i64, usize) {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's days_from_civil inverse.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = (days + 4).rem_euclid(7) as usize;
    (year, month, day, secs, weekday)
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn rfc1123(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (year, month, day, secs, weekday) = civil(unix);
    format!(
        "{}, {day:02} {} {year:04} {:02}:{:02}:{:02} GMT",
        DAYS[weekday],
        MONTHS[month as usize - 1],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// `2026-05-01T12:34:56Z`, as in STS `Expiration`.
pub fn iso8601(unix: i64) -> String {
    let (year, month, day, secs, _) = civil(unix);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc1123(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(rfc1123(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_777_638_896), "2026-05-01T12:34:56Z");
        assert_eq!(rfc1123(1_777_638_896), "Fri, 01 May 2026 12:34:56 GMT");
    }

    #[test]
    fn offset_shifts_now() {
        let clock = Clock::new(0);
        let base = clock.now();
        clock.set_offset(-3600);
        let shifted = clock.now();
        assert!((base - 3600 - shifted).abs() <= 1);
    }
}
