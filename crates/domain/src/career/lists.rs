//! The lists a guide or role keeps as JSON text (a guide's sections and
//! reasons, a role's responsibilities), read and written in one place.

use super::model::{Guide, JobRole};
use crate::{DomainError, DomainResult};

/// A titled part of a guide's body.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Section {
    pub heading: String,
    pub markdown: String,
    /// Rendered and sanitized when the guide is written.
    pub html: String,
}

/// One of a guide's reasons to choose its field.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Reason {
    pub title: String,
    pub text: String,
}

pub(super) fn read_list<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> Vec<T> {
    serde_json::from_str(json).unwrap_or_else(|err| {
        tracing::error!(error = %err, what, "unreadable stored list");
        Vec::new()
    })
}

pub fn sections(guide: &Guide) -> Vec<Section> {
    read_list(&guide.0.sections, "guide sections")
}

/// A guide's sections as plain text, which search reads as its body.
pub fn search_text(sections: &[Section]) -> String {
    sections
        .iter()
        .map(|s| format!("{}\n{}", s.heading, crate::render::plain_text(&s.markdown)))
        .collect::<Vec<_>>()
        .join("\n\n")
}

pub fn reasons(guide: &Guide) -> Vec<Reason> {
    read_list(&guide.0.reasons, "guide reasons")
}

pub fn responsibilities(role: &JobRole) -> Vec<String> {
    read_list(&role.0.responsibilities, "role responsibilities")
}

pub(super) fn write_list<T: serde::Serialize>(items: &[T]) -> DomainResult<String> {
    serde_json::to_string(items).map_err(|err| {
        tracing::error!(error = %err, "cannot store a list");
        DomainError::Fault("a list could not be stored")
    })
}
