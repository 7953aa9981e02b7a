//! Atom feeds and the sitemap: what feed readers and crawlers read, since
//! they run no JavaScript. Every address in them is absolute under the
//! configured public URL, never under the request's `Host` (a client
//! chooses that header, and a shared cache would keep what it chose).
//! Each client's requests count against the same rate as its GraphQL
//! requests.

use std::sync::Arc;

use atom_syndication::{Category, Content, Entry, Link, Person, Text};
use axum::extract::{Path, Query, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde::Deserialize;
use waypost_domain::freshness::{self, Reads};
use waypost_domain::syndication::{self, Feed, FeedScope, ListedPage};

use super::answers::key_headers;
use super::caching::{HttpCaching, Public, etag_of, respond_public};
use super::codec::refusal_headers;
use super::guard::{client_ip, rate_limited};
use super::state::AppState;
use crate::schema::{Page, Site};

const ATOM: &str = "application/atom+xml; charset=utf-8";
const XML: &str = "application/xml; charset=utf-8";
/// What a feed is called; the publication has no name of its own yet.
const SITE_NAME: &str = "Waypost";
/// The sitemaps.org protocol's limit of addresses in one file.
const SITEMAP_URLS: usize = 50_000;
const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// `GET /feed.atom`: the newest posts of the whole site.
pub(crate) async fn site_feed(
    State(state): State<AppState>,
    request: HeaderMap,
    extensions: Extensions,
) -> Response {
    feed(&state, FeedScope::Site, &request, &extensions).await
}

/// `GET /tags/{slug}/feed.atom`: the newest posts filed under a tag.
pub(crate) async fn tag_feed(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    request: HeaderMap,
    extensions: Extensions,
) -> Response {
    feed(&state, FeedScope::Tag(&slug), &request, &extensions).await
}

/// `GET /authors/{slug}/feed.atom`: the newest posts of an author.
pub(crate) async fn author_feed(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    request: HeaderMap,
    extensions: Extensions,
) -> Response {
    feed(&state, FeedScope::Author(&slug), &request, &extensions).await
}

/// The 429 of a client past its rate, as for GraphQL: counted per address
/// (feeds take no credentials), loopback exempt when the limits say so,
/// with `Retry-After`.
fn limited(state: &AppState, request: &HeaderMap, extensions: &Extensions) -> Option<Response> {
    let ip = client_ip(&state.proxies, request, extensions);
    let refusal = rate_limited(state.rate.as_deref(), &state.limits, None, ip.as_deref())?;
    let mut response = crate::error::to_plain(&refusal);
    refusal_headers(&refusal, response.headers_mut());
    Some(response)
}

/// Which file of a sitemap too large for one (`?page=N`, from 1).
#[derive(Debug, Deserialize)]
pub(crate) struct SitemapFile {
    page: Option<usize>,
}

/// `GET /sitemap.xml`: every live post and guide, and every tag and author
/// with a live post; past 50,000 addresses, an index of files of 50,000.
pub(crate) async fn sitemap(
    State(state): State<AppState>,
    Query(file): Query<SitemapFile>,
    request: HeaderMap,
    extensions: Extensions,
) -> Response {
    if let Some(refused) = limited(&state, &request, &extensions) {
        return refused;
    }
    let Some(public) = state.services.site.feed_base() else {
        return no_public_url();
    };
    let now = (state.services.clock)();
    let reads = Arc::new(Reads::default());
    let listed = syndication::sitemap(&state.services.pool, now);
    let pages = match freshness::reading(reads.clone(), listed).await {
        Ok(pages) => pages,
        Err(err) => return crate::error::to_plain(&err),
    };
    let site = &state.services.site;
    let located = |kind: Page, listed: Vec<ListedPage>| {
        listed
            .into_iter()
            .filter_map(move |page| Some((site.page_url(kind, &page.slug)?, page.modified()?)))
    };
    let urls: Vec<(String, NaiveDateTime)> = located(Page::Post, pages.posts)
        .chain(located(Page::Guide, pages.guides))
        .chain(located(Page::Tag, pages.tags))
        .chain(located(Page::Author, pages.authors))
        .collect();
    let Some((body, modified)) = sitemap_file(public, &urls, file.page, SITEMAP_URLS) else {
        return (StatusCode::NOT_FOUND, "no such sitemap file\n").into_response();
    };
    publish(body, XML, modified, &reads.keys(), &request, state.caching)
}

async fn feed(
    state: &AppState,
    scope: FeedScope<'_>,
    request: &HeaderMap,
    extensions: &Extensions,
) -> Response {
    if let Some(refused) = limited(state, request, extensions) {
        return refused;
    }
    let site = &state.services.site;
    let Some(public) = site.feed_base() else {
        return no_public_url();
    };
    let now = (state.services.clock)();
    // What the document shows is what a CDN must purge it by: the listing,
    // and each entry's post, author and tags (a renamed author or tag
    // announces its own key), recorded as the document is read and written.
    let reads = Arc::new(Reads::default());
    let written = freshness::reading(reads.clone(), async {
        let feed = syndication::feed(&state.services.pool, scope, now).await?;
        Ok::<_, waypost_domain::DomainError>(feed.map(|feed| atom(site, public, &feed)))
    })
    .await;
    let (atom, modified) = match written {
        Ok(Some(written)) => written,
        Ok(None) => return (StatusCode::NOT_FOUND, "no such tag or author\n").into_response(),
        Err(err) => return crate::error::to_plain(&err),
    };
    publish(
        atom.to_string().into_bytes(),
        ATOM,
        modified,
        &reads.keys(),
        request,
        state.caching,
    )
}

/// The answer without a public URL: absolute addresses cannot be made.
fn no_public_url() -> Response {
    (
        StatusCode::NOT_FOUND,
        "feeds and the sitemap need the site's public address: set WAYPOST_PUBLIC_URL \
         (or --public-url), e.g. https://blog.example\n",
    )
        .into_response()
}

/// A public document with its validators, or a 304 when the client holds it.
fn publish(
    body: Vec<u8>,
    content_type: &'static str,
    modified: Option<NaiveDateTime>,
    keys: &[freshness::Key],
    request: &HeaderMap,
    policy: HttpCaching,
) -> Response {
    let Some(etag) = etag_of(&body) else {
        tracing::error!("a document's ETag is no header value");
        return crate::error::to_plain(&waypost_domain::DomainError::Fault("an ETag"));
    };
    let (mut parts, ()) = Response::new(()).into_parts();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let public = Public {
        body: body.into(),
        etag,
        keys: key_headers(keys),
        last_modified: modified.map(|at| at.and_utc()),
    };
    respond_public(parts, public, request, policy)
}

/// An instant as Atom and sitemaps write it (RFC 3339, UTC).
fn w3c(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A permanent id in the `tag:` scheme (RFC 4151): the public host, the
/// day the thing was created there, and its database id. Slugs change
/// when a title is edited, and an entry whose id changes shows up twice in
/// every reader; the row's id never changes. Only moving the site to
/// another host changes these ids.
fn tag_uri(host: &str, created: NaiveDateTime, specific: &str) -> String {
    format!("tag:{host},{}:{specific}", created.format("%Y-%m-%d"))
}

fn link(href: String, rel: &str, mime_type: &str) -> Link {
    let mut link = Link::default();
    link.set_href(href);
    link.set_rel(rel);
    link.set_mime_type(Some(mime_type.to_owned()));
    link
}

/// The Atom document of `feed`, and when its newest entry changed.
fn atom(site: &Site, public: &str, feed: &Feed) -> (atom_syndication::Feed, Option<NaiveDateTime>) {
    let host = url::Url::parse(public)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_default();
    let (path, title, alternate, id) = match (&feed.tag, &feed.author) {
        (Some(tag), _) => (
            format!("/tags/{}/feed.atom", tag.slug()),
            format!("{SITE_NAME}: {}", tag.name()),
            site.page_url(Page::Tag, tag.slug()),
            Some(tag_uri(
                &host,
                tag.created_at(),
                &format!("tags/{}", tag.id().0),
            )),
        ),
        (None, Some(author)) => (
            format!("/authors/{}/feed.atom", author.slug()),
            format!("{SITE_NAME}: {}", author.name()),
            site.page_url(Page::Author, author.slug()),
            Some(tag_uri(
                &host,
                author.created_at(),
                &format!("authors/{}", author.id().0),
            )),
        ),
        // The whole site's feed has no row to name it; its address is as
        // permanent as the site's.
        (None, None) => (
            "/feed.atom".to_owned(),
            SITE_NAME.to_owned(),
            site.url("/"),
            None,
        ),
    };
    let own = format!("{public}{path}");
    let entries: Vec<Entry> = feed
        .entries
        .iter()
        .map(|entry| {
            let post = &entry.post;
            let mut atom = Entry::default();
            atom.set_id(tag_uri(
                &host,
                post.created_at(),
                &format!("posts/{}", post.id().0),
            ));
            atom.set_title(Text::plain(post.title()));
            atom.set_updated(syndication::modified(post).and_utc().fixed_offset());
            atom.set_published(post.published_at().map(|at| at.and_utc().fixed_offset()));
            if let Some(href) = site.page_url(Page::Post, post.slug()) {
                atom.set_links(vec![link(href, "alternate", "text/html")]);
            }
            if let Some(author) = &entry.author {
                let mut person = Person::default();
                person.set_name(author.name());
                person.set_uri(site.page_url(Page::Author, author.slug()));
                atom.set_authors(vec![person]);
            }
            if !post.excerpt().is_empty() {
                atom.set_summary(Some(Text::plain(post.excerpt())));
            }
            let mut content = Content::default();
            content.set_content_type(Some("html".to_owned()));
            content.set_value(Some(post.body_html().to_owned()));
            atom.set_content(Some(content));
            atom.set_categories(
                entry
                    .tags
                    .iter()
                    .map(|tag| {
                        let mut category = Category::default();
                        category.set_term(tag.slug());
                        category.set_label(Some(tag.name().to_owned()));
                        category.set_scheme(site.url("/tags/"));
                        category
                    })
                    .collect::<Vec<_>>(),
            );
            atom
        })
        .collect();
    let newest = feed
        .entries
        .iter()
        .map(|entry| syndication::modified(&entry.post))
        .max();
    let mut atom = atom_syndication::Feed::default();
    atom.set_id(id.unwrap_or_else(|| own.clone()));
    atom.set_title(Text::plain(title));
    let mut links = vec![link(own, "self", "application/atom+xml")];
    links.extend(alternate.map(|href| link(href, "alternate", "text/html")));
    atom.set_links(links);
    // An empty feed has no entry to date it: the epoch, so that it never
    // claims to be newer than what it will list.
    atom.set_updated(
        newest
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH.naive_utc())
            .and_utc()
            .fixed_offset(),
    );
    atom.set_entries(entries);
    (atom, newest)
}

/// File `page` of a sitemap of `urls` at most `per_file` to a file: the
/// whole urlset when it fits and no page is asked for, an index of the
/// files when it does not, `None` for a page past the last. Also when its
/// newest address changed.
fn sitemap_file(
    public: &str,
    urls: &[(String, NaiveDateTime)],
    page: Option<usize>,
    per_file: usize,
) -> Option<(Vec<u8>, Option<NaiveDateTime>)> {
    let newest = |urls: &[(String, NaiveDateTime)]| urls.iter().map(|(_, at)| *at).max();
    let files = urls.len().div_ceil(per_file).max(1);
    let written = match page {
        None if files > 1 => {
            let index: Vec<(String, Option<NaiveDateTime>)> = urls
                .chunks(per_file)
                .enumerate()
                .map(|(n, chunk)| {
                    (
                        format!("{public}/sitemap.xml?page={}", n + 1),
                        newest(chunk),
                    )
                })
                .collect();
            let body = write_sitemap("sitemapindex", "sitemap", &index);
            return body.ok().map(|body| (body, newest(urls)));
        }
        None => urls,
        Some(n) if (1..=files).contains(&n) => {
            let from = (n - 1) * per_file;
            &urls[from..urls.len().min(from + per_file)]
        }
        Some(_) => return None,
    };
    let listed: Vec<(String, Option<NaiveDateTime>)> = written
        .iter()
        .map(|(loc, at)| (loc.clone(), Some(*at)))
        .collect();
    let body = write_sitemap("urlset", "url", &listed);
    body.ok().map(|body| (body, newest(written)))
}

/// A sitemaps.org document: `root` holding one `item` per address.
fn write_sitemap(
    root: &str,
    item: &str,
    entries: &[(String, Option<NaiveDateTime>)],
) -> std::io::Result<Vec<u8>> {
    let mut writer = Writer::new(Vec::with_capacity(entries.len() * 120 + 200));
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer
        .create_element(root)
        .with_attribute(("xmlns", SITEMAP_NS))
        .write_inner_content(|w| {
            for (loc, modified) in entries {
                w.create_element(item).write_inner_content(|w| {
                    w.create_element("loc")
                        .write_text_content(BytesText::new(loc))?;
                    if let Some(at) = modified {
                        w.create_element("lastmod")
                            .write_text_content(BytesText::new(&w3c(*at)))?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(writer.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 6, day)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    }

    #[test]
    fn a_large_sitemap_becomes_an_index_of_files() {
        let urls: Vec<_> = (1..=5)
            .map(|d| (format!("https://blog.example/posts/p{d}?a&b"), at(d)))
            .collect();
        let (index, newest) = sitemap_file("https://blog.example", &urls, None, 2).unwrap();
        let index = String::from_utf8(index).unwrap();
        assert!(
            index.contains("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">")
        );
        assert_eq!(index.matches("<sitemap>").count(), 3, "{index}");
        assert!(index.contains("<loc>https://blog.example/sitemap.xml?page=3</loc>"));
        assert_eq!(newest, Some(at(5)));
        let (last, _) = sitemap_file("https://blog.example", &urls, Some(3), 2).unwrap();
        let last = String::from_utf8(last).unwrap();
        assert_eq!(last.matches("<url>").count(), 1);
        assert!(last.contains("p5?a&amp;b"), "escaped: {last}");
        assert!(sitemap_file("https://blog.example", &urls, Some(4), 2).is_none());
        assert!(sitemap_file("https://blog.example", &urls, Some(0), 2).is_none());
        let (whole, _) = sitemap_file("https://blog.example", &urls, None, 50).unwrap();
        assert_eq!(
            String::from_utf8(whole).unwrap().matches("<url>").count(),
            5
        );
    }

    #[test]
    fn tag_uris_name_the_host_the_day_and_the_row() {
        assert_eq!(
            tag_uri("blog.example", at(2), "posts/12"),
            "tag:blog.example,2026-06-02:posts/12"
        );
    }
}
