//! The form's checks, the moderation policy and flood control, without a database.

use super::*;

fn screening(honeypot: bool, links: usize, approved: bool) -> Screening {
    Screening {
        honeypot_filled: honeypot,
        links,
        email_has_approved: approved,
    }
}

#[test]
fn the_moderation_policy() {
    let s = CommentSettings::default();
    assert_eq!(
        initial_status(screening(false, 0, false), &s),
        CommentStatus::Pending,
        "first comment waits"
    );
    assert_eq!(
        initial_status(screening(false, 0, true), &s),
        CommentStatus::Approved,
        "trusted once approved"
    );
    assert_eq!(
        initial_status(screening(false, 2, true), &s),
        CommentStatus::Approved
    );
    assert_eq!(
        initial_status(screening(false, 3, true), &s),
        CommentStatus::Pending,
        "3 links wait, whoever"
    );
    assert_eq!(
        initial_status(screening(true, 0, true), &s),
        CommentStatus::Spam,
        "the honeypot wins"
    );
    let strict = CommentSettings { max_links: 1, ..s };
    assert_eq!(
        initial_status(screening(false, 1, true), &strict),
        CommentStatus::Pending
    );
}

#[test]
fn links_are_counted_in_both_forms() {
    assert_eq!(count_links("no links here"), 0);
    assert_eq!(
        count_links("[a](https://a.example) and https://b.example, http://c.example"),
        3
    );
    // A link whose text is its address is one link, in either form.
    assert_eq!(count_links("<https://a.example>"), 1);
    assert_eq!(count_links("[https://a.example](https://a.example)"), 1);
    assert_eq!(
        count_links("<https://a.example> [https://b.example](https://b.example)"),
        2
    );
}

#[test]
fn comments_render_without_html_images_or_followed_links() {
    let html = render_comment(
        "Hi <script>alert(1)</script> <b>bold</b> ![x](https://e.example/i.png) [site](https://e.example)",
    );
    assert!(!html.contains("<script") && !html.contains("<b>"), "{html}");
    assert!(
        html.contains("&lt;b&gt;"),
        "raw HTML is shown as text: {html}"
    );
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains(r#"rel="nofollow ugc noopener""#), "{html}");
}

#[test]
fn the_form_is_checked_field_by_field() {
    let form = CommentForm {
        author_name: " ".into(),
        author_email: "not-an-email".into(),
        author_url: Some("javascript:alert(1)".into()),
        body: "x".repeat(MAX_BODY_CHARS + 1),
        ..Default::default()
    };
    let fields: Vec<&str> = check(&form)
        .err()
        .unwrap()
        .iter()
        .filter_map(|e| e.field)
        .collect();
    assert_eq!(fields, ["authorName", "authorEmail", "body", "authorUrl"]);
}

#[test]
fn a_website_is_a_web_address_with_a_host() {
    let website = |url: &str| {
        check(&CommentForm {
            author_name: "Ada".into(),
            author_email: "ada@example.com".into(),
            author_url: Some(url.into()),
            body: "Hello".into(),
            ..Default::default()
        })
        .map(|checked| checked.url)
        .map_err(|errors| errors.iter().filter_map(|e| e.field).collect::<Vec<_>>())
    };
    assert_eq!(
        website("https://ada.example/about"),
        Ok(Some("https://ada.example/about".into()))
    );
    assert_eq!(website("  "), Ok(None));
    for bad in [
        "http://",
        "http:ada.example",
        "ftp://ada.example",
        "https://ada example",
    ] {
        assert_eq!(website(bad), Err(vec!["authorUrl"]), "{bad}");
    }
}

#[test]
fn the_flood_wait_ends_when_a_slot_frees() {
    use comment_queries::Recent;
    let settings = CommentSettings::default();
    let now = chrono::DateTime::UNIX_EPOCH.naive_utc() + Duration::days(1);
    let at = |ago_micros: i64| Recent {
        count: settings.flood_limit,
        oldest: Some(now - Duration::microseconds(ago_micros)),
    };
    let under = Recent {
        count: settings.flood_limit - 1,
        oldest: Some(now),
    };
    assert_eq!(flood_wait(&settings, now, [under, under]), None);
    // The oldest is 20.4 s old: its slot frees in 39.6 s, so wait 40.
    assert_eq!(
        flood_wait(&settings, now, [at(20_400_000), under]),
        Some(40)
    );
    // Exactly 20 s old: it stops counting at the 40th second.
    assert_eq!(
        flood_wait(&settings, now, [under, at(20_000_000)]),
        Some(40)
    );
    // Stored this very instant: the whole window, not a second more.
    assert_eq!(flood_wait(&settings, now, [at(0), under]), Some(60));
    // The longer wait of the two senders; never less than a second.
    assert_eq!(
        flood_wait(&settings, now, [at(59_999_999), at(1_000_000)]),
        Some(59)
    );
    assert_eq!(flood_wait(&settings, now, [at(60_000_000), under]), Some(1));
}

/// The promise of `retryAfter`, at every sub-second offset of the
/// oldest comment: waiting exactly that long lets the sender in, a
/// second less does not, and it never exceeds the window.
#[test]
fn the_flood_wait_is_exact_at_every_offset() {
    use comment_queries::Recent;
    let settings = CommentSettings::default();
    let window = settings.flood_window.num_seconds().unsigned_abs();
    let now = chrono::DateTime::UNIX_EPOCH.naive_utc() + Duration::days(1);
    let counts = |oldest: NaiveDateTime, at: NaiveDateTime| oldest > window_start(&settings, at);
    let offsets = (0..1_000_000)
        .step_by(997)
        .chain([1, 499_999, 500_000, 999_999]);
    for whole in [0, 1, 30, 59] {
        for micros in offsets.clone() {
            let ago = Duration::seconds(whole) + Duration::microseconds(micros);
            let oldest = now - ago;
            assert!(counts(oldest, now), "{ago}");
            let recent = Recent {
                count: settings.flood_limit,
                oldest: Some(oldest),
            };
            let wait = flood_wait(&settings, now, [recent, Recent::default()]).unwrap_or_default();
            assert!((1..=window).contains(&wait), "{ago}: {wait}");
            let after = |seconds: u64| now + Duration::seconds(seconds as i64);
            assert!(!counts(oldest, after(wait)), "{ago}: let in after {wait}");
            assert!(counts(oldest, after(wait - 1)), "{ago}: not before {wait}");
        }
    }
}

#[test]
fn duplicates_ignore_spacing_and_case() {
    assert_eq!(fingerprint("Nice  post!\n"), fingerprint("nice post!"));
    assert_ne!(fingerprint("nice post"), fingerprint("nice posts"));
}
