//! Opaque cursors: the one format every listing's `after`/`before` uses.
//!
//! A cursor is the URL-safe base64 of `listing|part|part|...`: the listing's
//! name (with a format version) first, so a cursor from one listing is never
//! read as a position in another, then the position's parts. The last part
//! may itself contain `|` (a post's title, a slug).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;

use crate::DomainError;

const SEPARATOR: char = '|';

/// The one error for a cursor Waypost did not issue (or not for this listing).
pub fn bad_cursor(arg: &'static str) -> DomainError {
    DomainError::bad_input(arg, format!("`{arg}` is not a valid cursor"))
}

/// The cursor of a position in `listing`, made of `parts`.
pub fn encode(listing: &str, parts: &[&str]) -> String {
    let mut raw = listing.to_owned();
    for part in parts {
        raw.push(SEPARATOR);
        raw.push_str(part);
    }
    URL_SAFE_NO_PAD.encode(raw)
}

/// The `N` parts of a cursor `encode` made for `listing`; `arg` names the
/// argument it came in, for the error.
pub fn decode<const N: usize>(
    cursor: &str,
    listing: &str,
    arg: &'static str,
) -> Result<[String; N], DomainError> {
    let bad = || bad_cursor(arg);
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim_end_matches('='))
        .map_err(|_| bad())?;
    let raw = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut split = raw.splitn(N + 1, SEPARATOR);
    if split.next() != Some(listing) {
        return Err(bad());
    }
    let parts: Vec<String> = split.map(str::to_owned).collect();
    parts.try_into().map_err(|_| bad())
}

/// An instant as a cursor part: microseconds since the epoch.
pub fn instant_part(at: NaiveDateTime) -> String {
    at.and_utc().timestamp_micros().to_string()
}

/// An instant read back from `instant_part`.
pub fn parse_instant(part: &str, arg: &'static str) -> Result<NaiveDateTime, DomainError> {
    part.parse::<i64>()
        .ok()
        .and_then(chrono::DateTime::from_timestamp_micros)
        .map(|at| at.naive_utc())
        .ok_or_else(|| bad_cursor(arg))
}

/// A numeric id read back from a cursor part.
pub fn parse_id(part: &str, arg: &'static str) -> Result<i64, DomainError> {
    part.parse().map_err(|_| bad_cursor(arg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_and_the_last_may_hold_the_separator() {
        let cursor = encode("t1", &["7", "a | b"]);
        let [id, title] = decode::<2>(&cursor, "t1", "after").unwrap();
        assert_eq!((id.as_str(), title.as_str()), ("7", "a | b"));
    }

    #[test]
    fn another_listing_garbage_or_too_few_parts_are_bad_input() {
        let cursor = encode("t1", &["7", "x"]);
        for (bad, listing) in [
            (cursor.as_str(), "u1"),
            ("", "t1"),
            ("!!!", "t1"),
            (&encode("t1", &["7"]), "t1"),
        ] {
            let err = decode::<2>(bad, listing, "before").unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::BadUserInput, "{bad}");
            assert_eq!(err.to_string(), "`before` is not a valid cursor");
        }
    }

    #[test]
    fn instants_keep_their_microseconds() {
        let at = chrono::DateTime::from_timestamp(1_780_000_000, 123_456_000)
            .unwrap()
            .naive_utc();
        assert_eq!(parse_instant(&instant_part(at), "after").unwrap(), at);
        assert!(parse_instant("soon", "after").is_err());
    }
}
