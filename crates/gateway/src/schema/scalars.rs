//! Waypost's own scalars: how instants cross the API.

use async_graphql::{Description, InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, NaiveDateTime, Utc};

use crate::error::bad_input;

/// What API users read of `DateTime`, whichever of its two Rust types
/// the schema met first.
const DATE_TIME_DESCRIPTION: &str = "An instant in time, written as an RFC 3339 date-time string with an\n\
    offset, such as `2026-12-06T09:30:00.123456+00:00` or `2026-12-06T09:30:00Z`.\n\
    Waypost answers in UTC, to the microsecond it stores; it accepts any offset\n\
    and converts it to UTC.";

/// An instant, held as the UTC time storage keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Instant(pub NaiveDateTime);

impl Description for Instant {
    fn description() -> &'static str {
        DATE_TIME_DESCRIPTION
    }
}

#[Scalar(
    name = "DateTime",
    use_type_description,
    specified_by_url = "https://scalars.graphql.org/andimarek/date-time"
)]
impl ScalarType for Instant {
    /// Inputs arrive as [`InstantInput`]; this serves the trait.
    fn parse(value: Value) -> InputValueResult<Self> {
        InstantInput::parse(value)
            .map_err(InputValueError::propagate)?
            .parsed
            .map(Instant)
            .ok_or_else(|| InputValueError::custom("not an RFC 3339 date-time"))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.and_utc().to_rfc3339())
    }
}

/// A `DateTime` a client sent, read once the input field that holds it is
/// known, so that a malformed one is refused naming that field (a scalar
/// alone cannot tell `publishedAfter` from `publishedBefore`). The same
/// GraphQL type as [`Instant`]: see `schema::roots`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InstantInput {
    text: String,
    parsed: Option<NaiveDateTime>,
}

impl InstantInput {
    /// The instant, or BAD_USER_INPUT naming `field`.
    pub(crate) fn read(&self, field: &'static str) -> async_graphql::Result<NaiveDateTime> {
        self.parsed.ok_or_else(|| {
            bad_input(
                field,
                format!("`{field}` is not a date-time such as 2026-12-06T09:30:00Z"),
            )
        })
    }
}

impl Description for InstantInput {
    fn description() -> &'static str {
        DATE_TIME_DESCRIPTION
    }
}

#[Scalar(
    name = "DateTime",
    use_type_description,
    specified_by_url = "https://scalars.graphql.org/andimarek/date-time"
)]
impl ScalarType for InstantInput {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => Ok(InstantInput {
                parsed: text.parse::<DateTime<Utc>>().ok().map(|t| t.naive_utc()),
                text,
            }),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.text.clone())
    }
}
