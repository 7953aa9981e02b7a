//! GraphiQL in a real browser (headless Chromium): the page renders, runs
//! its example query and a subscription, and nothing it loads or opens
//! leaves Waypost's origin. Skipped with a notice when no Chromium can be
//! started, unless `WAYPOST_BROWSER_TEST=required`.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use waypost_tests::browser::Browser;
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(
    graphiql_works_with_nothing_but_waypost,
    polling_outlasts_the_page_being_replaced
);

/// Records each Content-Security-Policy violation, so that anything the
/// policy blocked (which then makes no request) still shows.
const RECORD_VIOLATIONS: &str = "window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
        window.cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`));";

/// The CodeMirror editor inside `selector`.
fn editor(selector: &str) -> String {
    format!("document.querySelector('{selector} .CodeMirror')?.CodeMirror")
}

/// The text of the CodeMirror editor inside `selector`.
fn editor_text(selector: &str) -> String {
    format!("{}?.getValue()", editor(selector))
}

async fn graphiql_works_with_nothing_but_waypost(backend: Backend) {
    let test = "graphiql_works_with_nothing_but_waypost";
    let Some(mut browser) = Browser::for_test(test).await else {
        return;
    };
    let started = std::time::Instant::now();
    let app = TestApp::spawn(backend).await;
    let example = include_str!("../../crates/gateway/src/http/example.graphql");
    let expected = app.data(example, json!({})).await;
    assert_eq!(
        expected["post"]["title"], "Exploring Back-End Engineering as a Career",
        "the demo post the example query reads"
    );

    browser.call("Network.enable", json!({})).await;
    browser
        .call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": RECORD_VIOLATIONS }),
        )
        .await;
    browser.navigate(&app.url("/")).await;

    // The editor is up once GraphiQL has loaded and read the schema.
    browser
        .wait_for(
            "the query editor with the example query",
            &format!(
                "{}?.includes('query LatestPosts')",
                editor_text(".graphiql-query-editor")
            ),
        )
        .await;
    browser
        .wait_for(
            "the run button",
            "!!document.querySelector('.graphiql-execute-button')",
        )
        .await;
    browser
        .eval("document.querySelector('.graphiql-execute-button').click()")
        .await;
    let result = browser
        .wait_for(
            "the example query's result",
            &format!(
                "{}?.includes('\"data\"') && {0}",
                editor_text(".result-window")
            ),
        )
        .await;
    let shown: Value = serde_json::from_str(result.as_str().unwrap()).unwrap();
    assert_eq!(
        shown["data"], expected,
        "GraphiQL shows what the API answers"
    );

    // A subscription runs over the same origin's WebSocket.
    let post = app
        .post_id("exploring-back-end-engineering-as-a-career")
        .await;
    let subscription = format!(
        "subscription {{ commentAdded(postId: \"{}\") {{ text }} }}",
        post.as_str().unwrap()
    );
    browser
        .eval(&format!(
            "{}.setValue({})",
            editor(".graphiql-query-editor"),
            Value::from(subscription)
        ))
        .await;
    // GraphiQL reads an edit after a pause; run once it has.
    browser
        .wait_for(
            "GraphiQL to read the subscription",
            &format!(
                "{}.operations?.[0]?.operation === 'subscription'",
                editor(".graphiql-query-editor")
            ),
        )
        .await;
    browser
        .eval("document.querySelector('.graphiql-execute-button').click()")
        .await;
    let socket = format!("ws://{}/graphql", app.addr);
    browser
        .wait_until(&format!("a WebSocket to {socket}"), |browser| {
            browser.requested_urls().contains(&socket)
        })
        .await;
    // The subscription is live once the server has it; a comment approved
    // before that would not be sent, so keep approving until one shows.
    let raw = TestApp::raw_post_id(&post);
    let deadline = std::time::Instant::now() + waypost_tests::browser::STEP;
    let shown = loop {
        let body = format!("Seen live in GraphiQL {}", uuid::Uuid::new_v4());
        app.approved_comment(raw, None, "reader@example.com", "Reader", &body)
            .await;
        let seen = browser
            .eval(&format!(
                "{}?.includes('Seen live in GraphiQL')",
                editor_text(".result-window")
            ))
            .await;
        if seen == true {
            break browser.eval(&editor_text(".result-window")).await;
        }
        if std::time::Instant::now() > deadline {
            let pane = browser.eval(&editor_text(".result-window")).await;
            panic!("the subscription showed no comment; the result pane holds {pane}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(shown.as_str().unwrap().contains("commentAdded"), "{shown}");

    let violations = browser.eval("window.cspViolations").await;
    assert_eq!(violations, json!([]), "the page's policy blocked something");
    let origin = [format!("http://{}/", app.addr), socket.clone()];
    browser
        .wait_until("the page and its five files", |browser| {
            browser.requested_urls().len() >= 6
        })
        .await;
    let urls = browser.requested_urls();
    for url in &urls {
        assert!(
            origin.iter().any(|o| url.starts_with(o.as_str())) || url.starts_with("data:"),
            "{} is not on Waypost's origin",
            short(std::slice::from_ref(url))[0]
        );
    }
    eprintln!(
        "{test} ({backend:?}): {} requests, all to {}, in {:.1?}",
        urls.len(),
        app.addr,
        started.elapsed()
    );
}

/// A poll that runs while the page's document is torn down (here its
/// first try starts a reload and is still waiting when the document goes)
/// tries again on the new document rather than failing.
async fn polling_outlasts_the_page_being_replaced(backend: Backend) {
    let Some(mut browser) = Browser::for_test("polling_outlasts_the_page_being_replaced").await
    else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    browser.navigate(&app.url("/")).await;
    let reloaded = browser
        .wait_for(
            "the reloaded page",
            "sessionStorage.getItem('reloaded') || new Promise(() => {
                sessionStorage.setItem('reloaded', 'yes');
                location.reload();
            })",
        )
        .await;
    assert_eq!(reloaded, "yes");
}

/// URLs cut to a readable length (the stylesheet's fonts are data: URLs of
/// many kilobytes).
fn short(urls: &[String]) -> Vec<String> {
    urls.iter()
        .map(|url| url.chars().take(100).collect())
        .collect()
}
