//! Waypost's own scalars: how instants cross the API.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, NaiveDateTime, Utc};

/// An instant, held as the UTC time storage keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Instant(pub NaiveDateTime);

/// An instant in time, written as an RFC 3339 date-time string such as
/// `2026-12-06T09:30:00.123456+00:00`. Waypost answers in UTC, to the
/// microsecond it stores; it accepts any offset and converts it to UTC.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
impl ScalarType for Instant {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => Ok(Instant(text.parse::<DateTime<Utc>>()?.naive_utc())),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.and_utc().to_rfc3339())
    }
}
