//! FILETIME stamps as RFC 3339 text, and clock skew.

use std::time::{Duration, UNIX_EPOCH};

use smbaudit_wire::text::filetime_to_unix_nanos;

/// A FILETIME as RFC 3339 UTC to the second; `None` for 0 (not disclosed) or a time before
/// 1970 or past what the platform's clock can hold.
pub fn filetime_rfc3339(filetime: u64) -> Option<String> {
    let nanos = u64::try_from(filetime_to_unix_nanos(filetime)?).ok()?;
    let when = UNIX_EPOCH.checked_add(Duration::from_nanos(nanos))?;
    Some(humantime::format_rfc3339_seconds(when).to_string())
}

/// Server clock minus ours, in whole seconds; `None` if the server sent 0.
pub fn skew_secs(filetime: u64, our_unix_nanos: i128) -> Option<i64> {
    let theirs = filetime_to_unix_nanos(filetime)?;
    i64::try_from((theirs - our_unix_nanos) / 1_000_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FT_2017_05_12: u64 = (1_494_547_200 + 11_644_473_600) * 10_000_000;

    #[test]
    fn formats_and_measures_skew() {
        assert_eq!(
            filetime_rfc3339(FT_2017_05_12).as_deref(),
            Some("2017-05-12T00:00:00Z")
        );
        assert_eq!(filetime_rfc3339(0), None);
        assert_eq!(filetime_rfc3339(1), None, "before 1970");
        let ours = 1_494_547_200i128 * 1_000_000_000 - 400 * 1_000_000_000;
        assert_eq!(skew_secs(FT_2017_05_12, ours), Some(400));
        assert_eq!(skew_secs(0, ours), None);
    }
}
