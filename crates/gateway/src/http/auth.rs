//! Who is asking: a bearer token, from a header or a WebSocket's
//! `connection_init` payload, turned into a `Viewer`.

use axum::http::{HeaderMap, HeaderValue, header};
use waypost_domain::DomainError;
use waypost_domain::account::authenticate;
use waypost_domain::policy::Viewer;

use crate::schema::Services;

/// The viewer named by the `Authorization` header. No header: anonymous.
/// Anything else that is not a live bearer session is an error, never a
/// silent fall-back to anonymous.
pub(crate) async fn viewer(
    services: &Services,
    headers: &HeaderMap,
) -> Result<Option<Viewer>, DomainError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = header_token(value)?;
    authenticate(&services.pool, token, (services.clock)())
        .await
        .map(Some)
}

pub(crate) fn header_token(value: &HeaderValue) -> Result<&str, DomainError> {
    let value = value.to_str().map_err(|_| {
        DomainError::Unauthenticated("send the session token as `Authorization: Bearer <token>`")
    })?;
    bearer_token(value)
}

/// The token in an `Authorization` value: `Bearer <token>`.
pub(crate) fn bearer_token(value: &str) -> Result<&str, DomainError> {
    let malformed = || {
        DomainError::Unauthenticated("send the session token as `Authorization: Bearer <token>`")
    };
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(malformed());
    }
    Ok(token.trim())
}

/// The `Authorization` entry of a `connection_init` payload, in any case.
pub(crate) fn payload_token(payload: &serde_json::Value) -> Result<Option<String>, DomainError> {
    let Some(fields) = payload.as_object() else {
        return Ok(None);
    };
    let value = fields
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value);
    match value {
        None => Ok(None),
        Some(serde_json::Value::String(value)) => bearer_token(value).map(|t| Some(t.to_owned())),
        Some(_) => Err(DomainError::Unauthenticated(
            "`Authorization` must be a string: `Bearer <token>`",
        )),
    }
}
