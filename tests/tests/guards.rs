//! Abuse resistance at the door: per-client rate limits, CORS as
//! configured, security headers.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use waypost_gateway::Cors;
use waypost_gateway::Limits;
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(
    clients_past_their_rate_wait,
    cors_follows_the_configuration,
    pages_carry_security_headers,
);

async fn post(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ __typename }" }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn clients_past_their_rate_wait(backend: Backend) {
    let limits = Limits {
        rate_per_minute: 60,
        rate_burst: 3,
        rate_exempts_loopback: false,
        ..Limits::default()
    };
    let app = TestApp::empty_configured(backend, move |state| state.with_limits(limits)).await;
    // The editor signs in before the address's bucket is spent.
    let token = app.editor_token().await;
    let mut statuses = Vec::new();
    let mut refused = None;
    for _ in 0..4 {
        let response = post(&app, None).await;
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            let retry: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            refused = Some((retry, response.json::<Value>().await.unwrap()));
        }
    }
    // Signing in took some of the address's burst of 3.
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert!(statuses.contains(&200), "{statuses:?}");
    let (retry, body) = refused.unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "RATE_LIMITED", "{body:#}");
    assert_eq!(error["extensions"]["retryAfter"], retry, "{body:#}");
    // A signed-in user is counted apart from the address.
    for _ in 0..3 {
        assert_eq!(post(&app, Some(&token)).await.status(), 200);
    }
    assert_eq!(post(&app, Some(&token)).await.status(), 429);

    // In development, clients on this machine are not limited.
    let local = Limits {
        rate_per_minute: 60,
        rate_burst: 3,
        ..Limits::default()
    };
    let app = TestApp::empty_configured(backend, move |state| state.with_limits(local)).await;
    for _ in 0..6 {
        assert_eq!(post(&app, None).await.status(), 200);
    }
}

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, authorization",
        )
        .send()
        .await
        .unwrap()
}

async fn cors_follows_the_configuration(backend: Backend) {
    // Development's default: any origin, no credentials.
    let app = TestApp::empty(backend).await;
    let response = preflight(&app, "https://elsewhere.example").await;
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(
        response
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );

    // Listed origins, with credentials; others get nothing.
    let app = TestApp::empty_configured(backend, |state| {
        state.with_cors(Cors::Origins(vec!["https://blog.example".to_owned()]))
    })
    .await;
    let allowed = preflight(&app, "https://blog.example").await;
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://blog.example"
    );
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    // The headers real clients send on top of GraphQL's own pass the
    // preflight: tracing, Apollo Client's client awareness and CSRF header.
    let allowed_headers = |response: &reqwest::Response| {
        response.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
    };
    let admitted = allowed_headers(&allowed);
    for header in [
        "content-type",
        "authorization",
        "traceparent",
        "tracestate",
        "baggage",
        "sentry-trace",
        "apollographql-client-name",
        "apollographql-client-version",
        "apollo-require-preflight",
    ] {
        assert!(admitted.contains(header), "{header} in {admitted}");
    }
    assert!(!admitted.contains("x-custom-tenant"), "{admitted}");
    // And the list is the operator's to set.
    let custom = app
        .sibling(|state| {
            state
                .with_cors(Cors::Origins(vec!["https://blog.example".to_owned()]))
                .with_cors_headers(vec![reqwest::header::HeaderName::from_static(
                    "x-custom-tenant",
                )])
        })
        .await;
    let admitted = allowed_headers(&preflight(&custom, "https://blog.example").await);
    assert!(admitted.contains("x-custom-tenant"), "{admitted}");
    assert!(!admitted.contains("sentry-trace"), "{admitted}");
    let other = preflight(&app, "https://evil.example").await;
    assert!(other.headers().get("access-control-allow-origin").is_none());
    let actual = app
        .client
        .post(app.url("/graphql"))
        .header("origin", "https://evil.example")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert!(
        actual
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // Production's default: no cross-origin calls at all.
    let app = TestApp::empty_configured(backend, |state| state.with_cors(Cors::SameOrigin)).await;
    let response = preflight(&app, "https://elsewhere.example").await;
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

async fn pages_carry_security_headers(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let page = app.client.get(app.url("/")).send().await.unwrap();
    let headers = page.headers().clone();
    let policy = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(!policy.contains("script-src 'unsafe-inline'"), "{policy}");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    // The policy admits the page's own inline script by its hash.
    use base64::Engine as _;
    use sha2::Digest as _;
    let html = page.text().await.unwrap();
    let script = html
        .rsplit_once("<script>")
        .unwrap()
        .1
        .split_once("</script>")
        .unwrap()
        .0;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));
    assert!(policy.contains(&format!("'sha256-{hash}'")), "{policy}");

    let api = post(&app, None).await;
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
}
