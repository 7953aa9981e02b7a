//! The field checks every catalogue write shares (tags, authors, career
//! entries): names, texts, slugs, web addresses, and how a user's input is
//! quoted back in a message; and what a write's outcome means to the user.

use waypost_db::{DbError, DbResult};

use crate::editorial::slugify;
use crate::{DomainError, FieldError, Written};

pub(crate) const MAX_NAME_CHARS: usize = 100;
pub(crate) const MAX_TEXT_CHARS: usize = 2_000;
const MAX_URL_CHARS: usize = 2_000;

/// Someone's input, quoted for a message about it and cut to
/// `MAX_NAME_CHARS` characters: no slug or name is longer, and a message
/// must not send a huge input back whole.
pub(crate) fn quoted(input: &str) -> String {
    match input.char_indices().nth(MAX_NAME_CHARS) {
        Some((cut, _)) => format!("{:?}…", &input[..cut]),
        None => format!("{input:?}"),
    }
}

pub(crate) fn name(raw: &str, errors: &mut Vec<FieldError>) -> String {
    short_text("name", raw, errors)
}

/// Trimmed text of 1 to `MAX_NAME_CHARS` characters (a name, a title).
pub(crate) fn short_text(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> String {
    errors.extend(FieldError::check_length(field, raw, MAX_NAME_CHARS));
    raw.trim().to_owned()
}

pub(crate) fn text(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> String {
    long_text(field, raw, MAX_TEXT_CHARS, errors)
}

/// Trimmed text of at most `max` characters.
pub(crate) fn long_text(
    field: &'static str,
    raw: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> String {
    errors.extend(FieldError::check_max_length(field, raw, max));
    raw.trim().to_owned()
}

/// An explicit slug, or one made from the name.
pub(crate) fn slug(explicit: Option<&str>, name: &str, errors: &mut Vec<FieldError>) -> String {
    match explicit {
        Some(raw) => {
            let raw = raw.trim();
            if raw.is_empty() || slugify(raw) != raw {
                errors.push(FieldError::invalid_format(
                    "slug",
                    "use lowercase letters, digits and single dashes",
                ));
            }
            raw.to_owned()
        }
        None => {
            let made = slugify(name);
            if made.is_empty() && !name.is_empty() {
                errors.push(FieldError::invalid(
                    "slug",
                    "the name has no letters or digits to make a slug from; give one",
                ));
            }
            made
        }
    }
}

/// A new entry's name (required) and its slug: given, or made from the name.
pub(crate) fn new_name(
    name: Option<&str>,
    slug: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> (String, String) {
    let name = self::name(name.unwrap_or(""), errors);
    let slug = self::slug(slug, &name, errors);
    (name, slug)
}

/// An edit's name and slug, each checked when given (`None` keeps it).
pub(crate) fn renamed(
    name: Option<&str>,
    slug: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> (Option<String>, Option<String>) {
    let name = name.map(|n| self::name(n, errors));
    let slug = slug.map(|s| self::slug(Some(s), "", errors));
    (name, slug)
}

/// Whether `raw` is an http or https address with a host, at most
/// `MAX_URL_CHARS` long and without spaces or control characters. The
/// scheme is read from the text as typed: the URL parser would forgive
/// "http:example.com" as "http://example.com/".
pub fn is_web_address(raw: &str) -> bool {
    let lower = raw.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && raw.chars().count() <= MAX_URL_CHARS
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control())
        && url::Url::parse(raw)
            .is_ok_and(|parsed| parsed.host_str().is_some_and(|host| !host.is_empty()))
}

pub(crate) fn avatar(raw: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let url = raw.trim();
    if url.is_empty() {
        return None;
    }
    if !is_web_address(url) {
        errors.push(FieldError::invalid_format(
            "avatarUrl",
            "use an http or https address",
        ));
    }
    Some(url.to_owned())
}

pub(crate) fn slug_taken() -> Vec<FieldError> {
    vec![FieldError::conflict("slug", "this slug is taken")]
}

/// The outcome of a catalogue write, as the caller's type: what was
/// stored, NOT_FOUND ("no such `what`") when the id named nothing, or
/// `clash` when a unique key (a slug, a pair) is taken.
pub(crate) fn saved<R: Into<T>, T>(
    result: DbResult<Option<R>>,
    what: &str,
    clash: impl FnOnce() -> Vec<FieldError>,
) -> Written<T> {
    match result {
        Ok(Some(row)) => Ok(Ok(row.into())),
        Ok(None) => Err(DomainError::NotFound(format!("no such {what}"))),
        Err(DbError::UniqueViolation { .. }) => Ok(Err(clash())),
        // Something it names was deleted between the check and the write.
        Err(DbError::ForeignKeyViolation { .. }) => Err(DomainError::Conflict {
            field: None,
            message: format!("something this {what} names was deleted meanwhile; try again"),
        }),
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_checked() {
        let mut errors = Vec::new();
        assert_eq!(slug(None, "Back-End Café", &mut errors), "back-end-cafe");
        assert_eq!(
            avatar("https://example.com/a.png", &mut errors).as_deref(),
            Some("https://example.com/a.png")
        );
        assert!(errors.is_empty());
        avatar("javascript:alert(1)", &mut errors);
        name("", &mut errors);
        slug(Some("Not Valid"), "", &mut errors);
        let fields: Vec<&str> = errors.iter().filter_map(|e| e.field).collect();
        assert_eq!(fields, ["avatarUrl", "name", "slug"]);
    }

    #[test]
    fn quoted_input_is_cut_to_a_name_length() {
        assert_eq!(quoted("python"), "\"python\"");
        let exact = "é".repeat(MAX_NAME_CHARS);
        assert_eq!(quoted(&exact), format!("{exact:?}"));
        let long = quoted(&"é".repeat(10_000));
        assert_eq!(long, format!("{:?}…", "é".repeat(MAX_NAME_CHARS)));
    }
}
