//! Atom feeds and the sitemap, read back as a feed reader and a crawler
//! would: only live content, absolute addresses under the public URL,
//! HTTP validators, a fixed number of statements. Both backends.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, NaiveDateTime, Utc};
use quick_xml::events::Event;
use serde_json::json;
use waypost_db::{AuthorInsertForm, BundlePost, ContentBundle, PostStatus, TagInsertForm};
use waypost_gateway::{AppState, Limits, TrustedProxies};
use waypost_tests::{Backend, SetClock, TestApp, backend_tests, bundle_post};

backend_tests!(
    feeds_list_only_live_posts_newest_first,
    tag_and_author_feeds_filter_and_refuse_unknown_slugs,
    the_sitemap_lists_every_live_page_with_its_date,
    feeds_answer_validators_with_304_and_change_on_publish,
    a_date_alone_never_gets_a_304_for_a_changed_document,
    feeds_name_the_authors_and_tags_they_show_to_purge_by,
    feeds_and_the_sitemap_count_against_the_client_rate,
    without_a_public_url_feeds_are_refused_clearly,
    the_development_address_makes_feed_links_but_no_canonical_url,
    feeds_and_the_sitemap_run_a_fixed_number_of_statements,
);

const PUBLIC: &str = "https://blog.example";
const TRICKY_TITLE: &str = r#"Tom & Jerry <3 "quoted""#;
const TRICKY_TAG: &str = r#"Feeds & <XML> "Atom""#;
const TRICKY_AUTHOR: &str = r#"Ann & <Bee> "C""#;

struct Site {
    app: TestApp,
    time: SetClock,
    now: NaiveDateTime,
}

fn post(
    slug: &str,
    title: &str,
    author: &str,
    published_at: Option<NaiveDateTime>,
    status: PostStatus,
) -> BundlePost {
    let mut post = bundle_post(slug, author, published_at, status);
    // Written when published: each post's date is its own, whatever the
    // instant the test runs at.
    if let Some(at) = published_at {
        post.form.created_at = at;
        post.form.updated_at = at;
    }
    post.form.title = title.to_owned();
    post.tag_slugs = vec!["feeds".to_owned()];
    post
}

/// The demo content (posts, guides), and beside it an author and a tag of
/// our own with two live posts, a draft, a trashed and a scheduled post,
/// served under `PUBLIC` on a clock standing still at `now`.
async fn site(backend: Backend) -> Site {
    site_configured(backend, |state| state).await
}

/// `site`, with the server's state further adjusted by `configure`.
async fn site_configured(backend: Backend, configure: impl FnOnce(AppState) -> AppState) -> Site {
    let now = waypost_domain::clock::stored_instant(Utc::now().naive_utc());
    let time = SetClock::at(now);
    let clock = time.clock.clone();
    let app = TestApp::spawn_configured(backend, |state| {
        configure(state.with_clock(clock).with_site(waypost_gateway::Site {
            public_url: Some(PUBLIC.into()),
            ..Default::default()
        }))
    })
    .await;
    let author = |slug: &str, name: &str| AuthorInsertForm {
        slug: slug.to_owned(),
        name: name.to_owned(),
        bio: String::new(),
        avatar_url: None,
        created_at: now,
        updated_at: now,
    };
    let tag = |slug: &str| TagInsertForm {
        slug: slug.to_owned(),
        name: if slug == "feeds" { TRICKY_TAG } else { slug }.to_owned(),
        description: String::new(),
        created_at: now,
    };
    let mut idle = post("idle-draft", "Idle", "idle-writer", None, PostStatus::Draft);
    idle.tag_slugs = vec!["empty-tag".to_owned()];
    let bundle = ContentBundle {
        authors: vec![
            author("feed-writer", TRICKY_AUTHOR),
            author("idle-writer", "Idle Writer"),
        ],
        tags: vec![tag("feeds"), tag("empty-tag")],
        posts: vec![
            post(
                "newest",
                TRICKY_TITLE,
                "feed-writer",
                Some(now - Duration::hours(1)),
                PostStatus::Published,
            ),
            post(
                "older",
                "Older",
                "feed-writer",
                Some(now - Duration::hours(2)),
                PostStatus::Published,
            ),
            post("draft-one", "Draft", "feed-writer", None, PostStatus::Draft),
            post(
                "trashed-one",
                "Trashed",
                "feed-writer",
                Some(now - Duration::hours(3)),
                PostStatus::Trashed,
            ),
            post(
                "scheduled-one",
                "Scheduled",
                "feed-writer",
                Some(now + Duration::hours(1)),
                PostStatus::Published,
            ),
            idle,
        ],
    };
    let mut conn = app.pool.get().await.unwrap();
    waypost_db::queries::content::insert_bundle(&mut conn, bundle)
        .await
        .unwrap();
    drop(conn);
    Site { app, time, now }
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).send().await.unwrap()
}

async fn atom(app: &TestApp, path: &str) -> atom_syndication::Feed {
    let response = get(app, path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(
        response.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let body = response.bytes().await.unwrap();
    atom_syndication::Feed::read_from(&body[..]).unwrap()
}

/// The post slugs of a feed's entries, from their alternate links.
fn slugs(feed: &atom_syndication::Feed) -> Vec<String> {
    feed.entries()
        .iter()
        .map(|entry| {
            let href = &entry.links()[0].href;
            href.strip_prefix(&format!("{PUBLIC}/posts/"))
                .unwrap_or_else(|| panic!("not under the public URL: {href}"))
                .to_owned()
        })
        .collect()
}

const UNLISTED: [&str; 4] = ["draft-one", "trashed-one", "scheduled-one", "idle-draft"];

async fn feeds_list_only_live_posts_newest_first(backend: Backend) {
    let Site { app, time, now } = site(backend).await;
    let feed = atom(&app, "/feed.atom").await;
    let listed = slugs(&feed);
    let live = app.data("{ posts { totalCount } }", json!({})).await["posts"]["totalCount"]
        .as_u64()
        .unwrap();
    assert_eq!(
        listed.len() as u64,
        live.min(20),
        "the newest 20: {listed:?}"
    );
    assert_eq!(listed[..2], ["newest", "older"]);
    for unlisted in UNLISTED {
        assert!(!listed.iter().any(|s| s == unlisted), "{unlisted} listed");
    }
    let published: Vec<_> = feed
        .entries()
        .iter()
        .map(|e| e.published().unwrap())
        .collect();
    assert!(published.windows(2).all(|w| w[0] >= w[1]), "newest first");

    assert_eq!(feed.title().as_str(), "Waypost");
    assert_eq!(feed.id(), format!("{PUBLIC}/feed.atom"));
    let link = |rel: &str| {
        feed.links()
            .iter()
            .find(|l| l.rel() == rel)
            .map(|l| l.href().to_owned())
    };
    assert_eq!(link("self").unwrap(), format!("{PUBLIC}/feed.atom"));
    assert_eq!(link("alternate").unwrap(), format!("{PUBLIC}/"));
    assert_eq!(feed.updated(), feed.entries()[0].updated());

    // The entry: escaped and read back as written, a permanent id,
    // absolute links, the author's page, the tags, the rendered body.
    let entry = &feed.entries()[0];
    assert_eq!(entry.title().as_str(), TRICKY_TITLE);
    assert!(
        entry.id().starts_with("tag:blog.example,"),
        "{}",
        entry.id()
    );
    assert!(!entry.id().contains("newest"), "no slug in the id");
    assert_eq!(entry.authors()[0].name(), TRICKY_AUTHOR);
    assert_eq!(
        entry.authors()[0].uri(),
        Some(format!("{PUBLIC}/authors/feed-writer").as_str())
    );
    let category = &entry.categories()[0];
    assert_eq!(
        (category.term(), category.label()),
        ("feeds", Some(TRICKY_TAG))
    );
    let content = entry.content().unwrap();
    assert_eq!(content.content_type(), Some("html"));
    assert!(
        content.value().unwrap().contains("<p>Body of newest.</p>"),
        "{content:?}"
    );
    assert!(entry.summary().unwrap().as_str().contains("Body of"));
    assert_eq!(
        entry.published().unwrap().timestamp(),
        (now - Duration::hours(1)).and_utc().timestamp()
    );
    // One notion of where pages are: the API's canonical URL is the feed's.
    let canonical = app
        .data(r#"{ post(slug: "newest") { canonicalUrl } }"#, json!({}))
        .await;
    assert_eq!(canonical["post"]["canonicalUrl"], entry.links()[0].href);
    let raw = get(&app, "/feed.atom").await.text().await.unwrap();
    assert!(raw.contains("Tom &amp; Jerry &lt;3"), "escaped in the XML");

    // The scheduled post appears at its instant, not a microsecond before.
    let at = now + Duration::hours(1);
    time.set(at - Duration::microseconds(1));
    assert!(!slugs(&atom(&app, "/feed.atom").await).contains(&"scheduled-one".to_owned()));
    time.set(at);
    let feed = atom(&app, "/feed.atom").await;
    assert_eq!(slugs(&feed)[0], "scheduled-one");
    assert_eq!(feed.updated().timestamp(), at.and_utc().timestamp());
}

async fn tag_and_author_feeds_filter_and_refuse_unknown_slugs(backend: Backend) {
    let Site { app, time, now } = site(backend).await;
    let tagged = atom(&app, "/tags/feeds/feed.atom").await;
    assert_eq!(slugs(&tagged), ["newest", "older"]);
    assert_eq!(tagged.title().as_str(), format!("Waypost: {TRICKY_TAG}"));
    let self_link = tagged.links().iter().find(|l| l.rel() == "self").unwrap();
    assert_eq!(self_link.href(), format!("{PUBLIC}/tags/feeds/feed.atom"));
    assert!(tagged.id().starts_with("tag:blog.example,"));

    let by_author = atom(&app, "/authors/feed-writer/feed.atom").await;
    assert_eq!(slugs(&by_author), ["newest", "older"]);
    assert_eq!(
        by_author.title().as_str(),
        format!("Waypost: {TRICKY_AUTHOR}")
    );
    assert_ne!(by_author.id(), tagged.id());

    // A demo author's feed has only their posts.
    let demo = atom(&app, "/authors/amara-okafor/feed.atom").await;
    assert!(!demo.entries().is_empty());
    assert!(
        demo.entries()
            .iter()
            .all(|e| e.authors()[0].name() == "Amara Okafor")
    );

    // A tag or author that exists but has nothing live: an empty feed.
    let empty = atom(&app, "/tags/empty-tag/feed.atom").await;
    assert!(empty.entries().is_empty());
    assert_eq!(empty.updated().timestamp(), 0);

    for unknown in ["/tags/nope/feed.atom", "/authors/nope/feed.atom"] {
        let response = get(&app, unknown).await;
        assert_eq!(response.status(), 404, "{unknown}");
    }

    time.set(now + Duration::hours(2));
    assert_eq!(
        slugs(&atom(&app, "/tags/feeds/feed.atom").await),
        ["scheduled-one", "newest", "older"]
    );
}

/// `(loc, lastmod)` of each `url` of a urlset, text unescaped.
fn sitemap_urls(xml: &str) -> Vec<(String, Option<String>)> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut urls = Vec::new();
    let (mut loc, mut lastmod) = (None, None);
    let mut text = String::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(_) => text.clear(),
            Event::Text(t) => text.push_str(&t.decode().unwrap()),
            // Since quick-xml 0.38 an entity is an event of its own.
            Event::GeneralRef(r) => match r.resolve_char_ref().unwrap() {
                Some(c) => text.push(c),
                None => text.push_str(
                    quick_xml::escape::resolve_predefined_entity(&r.decode().unwrap()).unwrap(),
                ),
            },
            Event::End(e) => match e.name().as_ref() {
                b"loc" => loc = Some(std::mem::take(&mut text)),
                b"lastmod" => lastmod = Some(std::mem::take(&mut text)),
                b"url" => urls.push((loc.take().unwrap(), lastmod.take())),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    urls
}

async fn the_sitemap_lists_every_live_page_with_its_date(backend: Backend) {
    let Site { app, time, now } = site(backend).await;
    let guides = app
        .data("{ guides(first: 2) { nodes { id slug } } }", json!({}))
        .await;
    let guide = |n: usize, field: &str| guides["guides"]["nodes"][n][field].clone();
    let kept = guide(0, "slug").as_str().unwrap().to_owned();
    let hidden = guide(1, "slug").as_str().unwrap().to_owned();
    let editor = app.editor_token().await;
    let (_, body) = app
        .graphql_as(
            &editor,
            "mutation($i: DeleteInput!) { unpublishGuide(input: $i) { guide { status } } }",
            json!({ "i": { "id": guide(1, "id") } }),
        )
        .await;
    assert_eq!(
        body["data"]["unpublishGuide"]["guide"]["status"], "DRAFT",
        "{body:#}"
    );

    let response = get(&app, "/sitemap.xml").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/xml; charset=utf-8"
    );
    let xml = response.text().await.unwrap();
    assert!(xml.contains(r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#));
    let urls = sitemap_urls(&xml);
    let locs: Vec<&str> = urls.iter().map(|(loc, _)| loc.as_str()).collect();
    for (loc, lastmod) in &urls {
        assert!(loc.starts_with(&format!("{PUBLIC}/")), "{loc}");
        let lastmod = lastmod
            .as_deref()
            .unwrap_or_else(|| panic!("{loc} has no lastmod"));
        chrono::DateTime::parse_from_rfc3339(lastmod).unwrap();
    }
    for expected in [
        format!("{PUBLIC}/posts/newest"),
        format!("{PUBLIC}/posts/older"),
        format!("{PUBLIC}/posts/exploring-back-end-engineering-as-a-career"),
        format!("{PUBLIC}/guides/{kept}"),
        format!("{PUBLIC}/tags/feeds"),
        format!("{PUBLIC}/authors/feed-writer"),
        format!("{PUBLIC}/authors/amara-okafor"),
    ] {
        assert!(locs.contains(&expected.as_str()), "{expected} missing");
    }
    for absent in UNLISTED
        .iter()
        .map(|slug| format!("{PUBLIC}/posts/{slug}"))
        .chain([
            format!("{PUBLIC}/guides/{hidden}"),
            format!("{PUBLIC}/tags/empty-tag"),
            format!("{PUBLIC}/authors/idle-writer"),
        ])
    {
        assert!(!locs.contains(&absent.as_str()), "{absent} listed");
    }
    // A tag's date is its newest live post's.
    let tag_date = &urls
        .iter()
        .find(|(loc, _)| loc.ends_with("/tags/feeds"))
        .unwrap()
        .1;
    let newest = (now - Duration::hours(1)).and_utc();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(tag_date.as_deref().unwrap())
            .unwrap()
            .timestamp(),
        newest.timestamp()
    );

    time.set(now + Duration::hours(1));
    let xml = get(&app, "/sitemap.xml").await.text().await.unwrap();
    let locs: Vec<String> = sitemap_urls(&xml).into_iter().map(|(loc, _)| loc).collect();
    assert!(locs.contains(&format!("{PUBLIC}/posts/scheduled-one")));
}

async fn feeds_answer_validators_with_304_and_change_on_publish(backend: Backend) {
    let Site { app, .. } = site(backend).await;
    for path in ["/feed.atom", "/sitemap.xml", "/tags/feeds/feed.atom"] {
        let first = get(&app, path).await;
        let headers = first.headers().clone();
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let modified = headers["last-modified"].to_str().unwrap().to_owned();
        assert!(
            headers["cache-control"]
                .to_str()
                .unwrap()
                .starts_with("public, max-age="),
            "{path}: {headers:?}"
        );
        let body = first.bytes().await.unwrap();

        let again = |name: &'static str, value: String| {
            app.client.get(app.url(path)).header(name, value).send()
        };
        let held = again("if-none-match", etag.clone()).await.unwrap();
        assert_eq!(held.status(), 304, "{path}");
        assert!(held.bytes().await.unwrap().is_empty());
        // A date is no proof of holding the document (see below): 200.
        let dated = again("if-modified-since", modified.clone()).await.unwrap();
        assert_eq!(dated.status(), 200, "{path}");
        assert_eq!(dated.bytes().await.unwrap(), body);
        let stale = again("if-none-match", "W/\"other\"".to_owned())
            .await
            .unwrap();
        assert_eq!(stale.status(), 200, "{path}");
        assert_eq!(stale.bytes().await.unwrap(), body);
        let older = again(
            "if-modified-since",
            "Thu, 01 Jan 1970 00:00:00 GMT".to_owned(),
        )
        .await
        .unwrap();
        assert_eq!(older.status(), 200, "{path}");
        // A date that is not the document's own is no proof of holding it.
        let later = again(
            "if-modified-since",
            "Fri, 01 Jan 2100 00:00:00 GMT".to_owned(),
        )
        .await
        .unwrap();
        assert_eq!(later.status(), 200, "{path}");

        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), 200);
        assert_eq!(head.headers()["etag"].to_str().unwrap(), etag);
        assert!(head.bytes().await.unwrap().is_empty());
    }

    // Publishing the draft changes the feed and its tag.
    let before = get(&app, "/feed.atom").await.headers()["etag"].clone();
    change_state(&app, "publishPost", "draft-one").await;
    let after = get(&app, "/feed.atom").await;
    assert_ne!(after.headers()["etag"], before);
    let held = app
        .client
        .get(app.url("/feed.atom"))
        .header("if-none-match", before)
        .send()
        .await
        .unwrap();
    assert_eq!(held.status(), 200, "the old tag no longer matches");
    let feed = atom(&app, "/feed.atom").await;
    assert_eq!(slugs(&feed)[0], "draft-one");
}

/// Runs `mutation` (`publishPost`, `unpublishPost`) on the post with
/// `slug` as an editor.
async fn change_state(app: &TestApp, mutation: &str, slug: &str) {
    let id = {
        let mut conn = app.pool.get().await.unwrap();
        waypost_db::queries::post::by_slug(&mut conn, slug)
            .await
            .unwrap()
            .unwrap()
            .id
            .0
    };
    let editor = app.editor_token().await;
    let (_, body) = app
        .graphql_as(
            &editor,
            &format!(
                "mutation($i: PostStateInput!) {{ {mutation}(input: $i) {{ userErrors {{ code }} }} }}"
            ),
            json!({ "i": { "id": TestApp::global_id("Post", id) } }),
        )
        .await;
    assert_eq!(body["data"][mutation]["userErrors"], json!([]), "{body:#}");
}

async fn a_date_alone_never_gets_a_304_for_a_changed_document(backend: Backend) {
    let Site { app, .. } = site(backend).await;
    let path = "/tags/feeds/feed.atom";
    let first = get(&app, path).await;
    let old_tag = first.headers()["etag"].to_str().unwrap().to_owned();
    let modified = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    // "older" is not the newest entry: the feed's date stays where it was.
    change_state(&app, "unpublishPost", "older").await;
    let again = |name: &'static str, value: &str| {
        app.client
            .get(app.url(path))
            .header(name, value.to_owned())
            .send()
    };
    let dated = again("if-modified-since", &modified).await.unwrap();
    assert_eq!(dated.status(), 200);
    assert_eq!(dated.headers()["last-modified"].to_str().unwrap(), modified);
    let new_tag = dated.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_tag, old_tag);
    let feed = atom_syndication::Feed::read_from(&dated.bytes().await.unwrap()[..]).unwrap();
    assert_eq!(slugs(&feed), ["newest"], "the new document");
    assert_eq!(
        again("if-none-match", &old_tag).await.unwrap().status(),
        200
    );
    assert_eq!(
        again("if-none-match", &new_tag).await.unwrap().status(),
        304
    );
}

/// The keys a CDN may purge the answer to `path` by.
async fn surrogate_keys(app: &TestApp, path: &str) -> Vec<String> {
    let response = get(app, path).await;
    assert_eq!(response.status(), 200, "{path}");
    let keys = response.headers()["surrogate-key"].to_str().unwrap();
    keys.split(' ').map(str::to_owned).collect()
}

async fn feeds_name_the_authors_and_tags_they_show_to_purge_by(backend: Backend) {
    let Site { app, .. } = site(backend).await;
    let (author, tag) = {
        let mut conn = app.pool.get().await.unwrap();
        let author = waypost_db::queries::author::by_slug(&mut conn, "feed-writer")
            .await
            .unwrap()
            .unwrap();
        let tag = waypost_db::queries::tag::by_slug(&mut conn, "feeds")
            .await
            .unwrap()
            .unwrap();
        (
            format!("author:{}", author.id.0),
            format!("tag:{}", tag.id.0),
        )
    };
    // Renaming an author or a tag announces its own key: every feed whose
    // entries show the name must carry it.
    for path in [
        "/feed.atom",
        "/tags/feeds/feed.atom",
        "/authors/feed-writer/feed.atom",
    ] {
        let keys = surrogate_keys(&app, path).await;
        for wanted in ["posts", author.as_str(), tag.as_str()] {
            assert!(
                keys.iter().any(|k| k == wanted),
                "{path}: {wanted} in {keys:?}"
            );
        }
    }
    let keys = surrogate_keys(&app, "/sitemap.xml").await;
    for wanted in ["posts", "career", "tags", "authors"] {
        assert!(
            keys.iter().any(|k| k == wanted),
            "sitemap: {wanted} in {keys:?}"
        );
    }
}

async fn feeds_and_the_sitemap_count_against_the_client_rate(backend: Backend) {
    let limits = Limits {
        rate_per_minute: 60,
        rate_burst: 3,
        ..Limits::default()
    };
    // The test's requests come from loopback: a proxy there names clients,
    // whose addresses are no loopback exempt from the rate.
    let proxies = TrustedProxies(vec!["127.0.0.0/8".parse().unwrap()]);
    let Site { app, .. } = site_configured(backend, move |state| {
        state.with_limits(limits).with_trusted_proxies(proxies)
    })
    .await;
    let from = |client: &'static str, path: &str| {
        app.client
            .get(app.url(path))
            .header("x-forwarded-for", client)
            .send()
    };
    for path in ["/feed.atom", "/sitemap.xml", "/tags/feeds/feed.atom"] {
        assert_eq!(
            from("203.0.113.1", path).await.unwrap().status(),
            200,
            "{path}"
        );
    }
    let refused = from("203.0.113.1", "/feed.atom").await.unwrap();
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        from("203.0.113.1", "/sitemap.xml").await.unwrap().status(),
        429
    );
    // Another client is still served.
    assert_eq!(
        from("203.0.113.2", "/feed.atom").await.unwrap().status(),
        200
    );
}

async fn without_a_public_url_feeds_are_refused_clearly(backend: Backend) {
    // As a production server without WAYPOST_PUBLIC_URL is configured: no
    // address is made up, not from the Host header either.
    let app = TestApp::spawn(backend).await;
    for path in ["/feed.atom", "/sitemap.xml", "/tags/backend/feed.atom"] {
        let response = app
            .client
            .get(app.url(path))
            .header("host", "evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let text = response.text().await.unwrap();
        assert!(text.contains("WAYPOST_PUBLIC_URL"), "{text}");
        assert!(!text.contains("evil.example"));
    }
}

async fn the_development_address_makes_feed_links_but_no_canonical_url(backend: Backend) {
    // As development without WAYPOST_PUBLIC_URL is configured: the feeds
    // point at this server, but no post page is there to be canonical.
    let own = "http://127.0.0.1:8080";
    let app = TestApp::spawn_configured(backend, |state| {
        state.with_site(waypost_gateway::Site {
            own_url: Some(own.into()),
            ..Default::default()
        })
    })
    .await;
    let feed = atom(&app, "/feed.atom").await;
    let entry = &feed.entries()[0];
    assert!(entry.links()[0].href.starts_with(&format!("{own}/posts/")));
    let canonical = app
        .data("{ posts(first: 1) { nodes { canonicalUrl } } }", json!({}))
        .await;
    assert_eq!(
        canonical["posts"]["nodes"][0]["canonicalUrl"],
        serde_json::Value::Null
    );

    // With a public URL, the canonical URL is there, under it.
    let Site { app, .. } = site(backend).await;
    let canonical = app
        .data(r#"{ post(slug: "older") { canonicalUrl } }"#, json!({}))
        .await;
    assert_eq!(
        canonical["post"]["canonicalUrl"],
        format!("{PUBLIC}/posts/older")
    );
}

async fn feeds_and_the_sitemap_run_a_fixed_number_of_statements(backend: Backend) {
    let Site { app, .. } = site(backend).await;
    let count = |path: &'static str| {
        let app = &app;
        async move {
            let (statements, response) = app.statements_during(get(app, path)).await;
            assert_eq!(response.status(), 200, "{path}");
            statements
        }
    };
    assert_eq!(count("/feed.atom").await, 3, "page, authors, tags");
    assert_eq!(
        count("/tags/feeds/feed.atom").await,
        4,
        "tag, page, authors, tags"
    );
    assert_eq!(
        count("/authors/feed-writer/feed.atom").await,
        3,
        "author, page, tags"
    );
    assert_eq!(
        count("/sitemap.xml").await,
        4,
        "posts, guides, tags, authors"
    );
    // A feed with no entries runs the same statements as a full one.
    assert_eq!(count("/tags/empty-tag/feed.atom").await, 4);
    assert_eq!(count("/authors/amara-okafor/feed.atom").await, 3);
}
