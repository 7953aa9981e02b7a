//! Relay-style paging rules: page sizes, opaque cursors, and orderings.

use chrono::NaiveDateTime;
use waypost_db::{CursorValue, Direction, Keyset, PostId, PostOrderField};

use crate::cursor;
use crate::{DomainError, DomainResult, Post};

/// The largest `first`/`last` a client may ask for; more is an error, not a clamp.
pub const MAX_PAGE_SIZE: i32 = 100;
/// The page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: i32 = 20;

/// Cursors of post listings (all orders; the order is the first part).
const POST_LISTING: &str = "posts1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PostOrder {
    pub field: PostOrderField,
    pub direction: Direction,
}

impl Default for PostOrder {
    /// Newest first, as a blog's front page lists them.
    fn default() -> Self {
        PostOrder {
            field: PostOrderField::PublishedAt,
            direction: Direction::Desc,
        }
    }
}

/// The four Relay arguments as the client sent them.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
    /// A page number, from 1, of `first` items (or the default page size):
    /// for `/page/3` URLs, instead of cursors.
    pub page: Option<i32>,
}

/// The deepest a page number may reach, in items skipped: a numbered page
/// costs the database every row before it, so it is bounded as a page's
/// size is. Past it, cursors page on at a constant cost.
pub const MAX_OFFSET: i64 = 10_000;

/// Validated paging: how many, which way, and the bounds as keysets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageRequest {
    pub limit: i64,
    /// `last`: take the items nearest the end (or `before`).
    pub backward: bool,
    pub after: Option<Keyset>,
    pub before: Option<Keyset>,
    /// Items skipped before the page (a page number's), 0 with cursors.
    pub offset: i64,
}

pub fn page_size(name: &'static str, value: i32) -> DomainResult<i64> {
    if value < 0 {
        return Err(DomainError::bad_input(
            name,
            format!("`{name}` must not be negative (got {value})"),
        ));
    }
    if value > MAX_PAGE_SIZE {
        return Err(DomainError::bad_input(
            name,
            format!("`{name}` must be at most {MAX_PAGE_SIZE} (got {value})"),
        ));
    }
    Ok(i64::from(value))
}

impl PageRequest {
    pub fn parse(args: &PageArgs, field: PostOrderField) -> DomainResult<PageRequest> {
        let (limit, backward) = match (args.first, args.last) {
            (Some(_), Some(_)) => {
                return Err(DomainError::bad_input(
                    "first",
                    "pass either `first` or `last`, not both",
                ));
            }
            (Some(first), None) => (page_size("first", first)?, false),
            (None, Some(last)) => (page_size("last", last)?, true),
            // `before` alone means "the page just before": page backwards.
            (None, None) => (
                i64::from(DEFAULT_PAGE_SIZE),
                args.before.is_some() && args.after.is_none(),
            ),
        };
        let after = args
            .after
            .as_deref()
            .map(|c| decode_cursor(c, field, "after"))
            .transpose()?;
        let before = args
            .before
            .as_deref()
            .map(|c| decode_cursor(c, field, "before"))
            .transpose()?;
        let offset = match args.page {
            None => 0,
            Some(_) if backward || after.is_some() || before.is_some() => {
                return Err(DomainError::bad_input(
                    "page",
                    "a page number goes with `first` alone, not with cursors or `last`",
                ));
            }
            Some(page) if page < 1 => {
                return Err(DomainError::bad_input(
                    "page",
                    format!("pages are numbered from 1 (got {page})"),
                ));
            }
            Some(page) => {
                let offset = (i64::from(page) - 1).saturating_mul(limit);
                if offset > MAX_OFFSET {
                    return Err(DomainError::bad_input(
                        "page",
                        format!(
                            "page {page} starts past item {MAX_OFFSET}, the deepest a page number reaches; page on with cursors"
                        ),
                    ));
                }
                offset
            }
        };
        Ok(PageRequest {
            limit,
            backward,
            after,
            before,
            offset,
        })
    }
}

fn field_tag(field: PostOrderField) -> &'static str {
    match field {
        PostOrderField::PublishedAt => "published",
        PostOrderField::Title => "title",
        PostOrderField::UpdatedAt => "updated",
    }
}

/// Instants the API accepts: years 1 to 9999. Outside that range the two
/// backends disagree (PostgreSQL rejects some, SQLite's text comparison
/// misorders signed years), so such input is refused up front.
pub fn checked_instant(field: &'static str, time: NaiveDateTime) -> DomainResult<NaiveDateTime> {
    use chrono::Datelike;
    if (1..=9999).contains(&time.year()) {
        Ok(crate::clock::stored_instant(time))
    } else {
        Err(DomainError::bad_input(
            field,
            format!("`{field}` must fall in the years 1 to 9999"),
        ))
    }
}

/// The opaque cursor of `post` within a listing ordered by `field`.
pub fn encode_cursor(post: &Post, field: PostOrderField) -> String {
    let value = match field {
        PostOrderField::PublishedAt => {
            cursor::instant_part(post.published_at().unwrap_or(post.created_at()))
        }
        PostOrderField::UpdatedAt => cursor::instant_part(post.updated_at()),
        PostOrderField::Title => post.title().to_owned(),
    };
    // The value goes last so that a title containing the separator still parses.
    cursor::encode(
        POST_LISTING,
        &[field_tag(field), &post.id().0.to_string(), &value],
    )
}

/// Parses a cursor made by `encode_cursor` for the same ordering field.
pub fn decode_cursor(
    cursor: &str,
    field: PostOrderField,
    arg: &'static str,
) -> DomainResult<Keyset> {
    let [tag, id, value] = cursor::decode(cursor, POST_LISTING, arg)?;
    if tag != field_tag(field) {
        return Err(DomainError::bad_input(
            arg,
            format!("`{arg}` is a cursor from a listing in another order"),
        ));
    }
    let id = PostId(cursor::parse_id(&id, arg)?);
    let value = match field {
        PostOrderField::Title => CursorValue::Text(value),
        PostOrderField::PublishedAt | PostOrderField::UpdatedAt => {
            CursorValue::Time(checked_instant(arg, cursor::parse_instant(&value, arg)?)?)
        }
    };
    Ok(Keyset { value, id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use waypost_db::{AuthorId, PostStatus};

    fn post(title: &str) -> Post {
        row(title).into()
    }

    fn row(title: &str) -> waypost_db::Post {
        let at = DateTime::from_timestamp(1_780_000_000, 123_456_000)
            .map(|d| d.naive_utc())
            .unwrap_or_default();
        waypost_db::Post {
            id: PostId(42),
            slug: "s".into(),
            title: title.into(),
            excerpt: String::new(),
            body_markdown: String::new(),
            body_html: String::new(),
            reading_time_minutes: 1,
            status: PostStatus::Published,
            author_id: AuthorId(1),
            published_at: Some(at),
            created_at: at,
            updated_at: at,
            version: 1,
            comments_open: true,
            comment_count: 0,
            page_meta: None,
        }
    }

    #[test]
    fn cursors_round_trip_for_every_ordering() {
        let p = post("Pipes | and | bars");
        for field in [
            PostOrderField::PublishedAt,
            PostOrderField::Title,
            PostOrderField::UpdatedAt,
        ] {
            let keyset = decode_cursor(&encode_cursor(&p, field), field, "after").unwrap();
            assert_eq!(keyset.id, PostId(42));
            let expected = match field {
                PostOrderField::Title => CursorValue::Text(p.title().to_owned()),
                PostOrderField::PublishedAt => CursorValue::Time(p.published_at().unwrap()),
                PostOrderField::UpdatedAt => CursorValue::Time(p.updated_at()),
            };
            assert_eq!(keyset.value, expected);
        }
    }

    #[test]
    fn cursors_from_another_ordering_or_garbage_are_bad_input() {
        let c = encode_cursor(&post("t"), PostOrderField::Title);
        let err = decode_cursor(&c, PostOrderField::PublishedAt, "after").unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::BadUserInput);
        for junk in [
            "",
            "!!!",
            "bm90IGEgY3Vyc29y",
            &cursor::encode(POST_LISTING, &["title", "x", "t"]),
        ] {
            let err = decode_cursor(junk, PostOrderField::Title, "after").unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::BadUserInput, "{junk}");
        }
    }

    #[test]
    fn instants_outside_years_1_to_9999_are_bad_input() {
        let at = |y| {
            chrono::NaiveDate::from_ymd_opt(y, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
        };
        assert!(checked_instant("publishedAfter", at(2026)).is_ok());
        assert!(checked_instant("publishedAfter", at(9999)).is_ok());
        for year in [0, -5000, 10_000] {
            assert_eq!(
                checked_instant("publishedAfter", at(year))
                    .unwrap_err()
                    .code(),
                crate::ErrorCode::BadUserInput
            );
        }
        let far = Post::from(waypost_db::Post {
            published_at: Some(at(10_000)),
            ..row("t")
        });
        assert!(
            decode_cursor(
                &encode_cursor(&far, PostOrderField::PublishedAt),
                PostOrderField::PublishedAt,
                "after"
            )
            .is_err()
        );
    }

    #[test]
    fn before_alone_pages_backwards() {
        let c = encode_cursor(&post("t"), PostOrderField::PublishedAt);
        let args = PageArgs {
            before: Some(c.clone()),
            ..Default::default()
        };
        let page = PageRequest::parse(&args, PostOrderField::PublishedAt).unwrap();
        assert!(page.backward);
        assert_eq!(page.limit, 20);
        let both = PageArgs {
            before: Some(c.clone()),
            after: Some(c),
            ..Default::default()
        };
        assert!(
            !PageRequest::parse(&both, PostOrderField::PublishedAt)
                .unwrap()
                .backward
        );
    }

    #[test]
    fn page_sizes_are_checked_never_clamped() {
        let f = PostOrderField::PublishedAt;
        let args = |first, last| PageArgs {
            first,
            last,
            ..Default::default()
        };
        assert_eq!(
            PageRequest::parse(&args(Some(100), None), f).unwrap().limit,
            100
        );
        assert_eq!(
            PageRequest::parse(&args(Some(0), None), f).unwrap().limit,
            0
        );
        assert!(
            PageRequest::parse(&args(None, Some(7)), f)
                .unwrap()
                .backward
        );
        assert_eq!(PageRequest::parse(&args(None, None), f).unwrap().limit, 20);
        for bad in [
            args(Some(101), None),
            args(None, Some(101)),
            args(Some(-1), None),
            args(Some(1), Some(1)),
        ] {
            assert_eq!(
                PageRequest::parse(&bad, f).unwrap_err().code(),
                crate::ErrorCode::BadUserInput
            );
        }
    }
}
