//! The schema as code generators read it: conventional root names, a
//! documented `DateTime` with `@specifiedBy`, relations that cannot be
//! null typed non-null, user error codes as an enum, comments as nodes.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(types_generate_cleanly);

/// Whether `field` of `ty` is non-null, read by introspection.
async fn non_null(app: &TestApp, ty: &str, field: &str) -> bool {
    let data = app
        .data(
            "query($t: String!) { __type(name: $t) { fields { name type { kind } } } }",
            json!({ "t": ty }),
        )
        .await;
    let fields = data["__type"]["fields"].as_array().unwrap();
    let found = fields
        .iter()
        .find(|f| f["name"] == field)
        .unwrap_or_else(|| panic!("{ty}.{field} exists"));
    found["type"]["kind"] == "NON_NULL"
}

async fn types_generate_cleanly(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let roots = app
        .data(
            "{ __schema { queryType { name } mutationType { name } subscriptionType { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        roots["__schema"],
        json!({ "queryType": { "name": "Query" }, "mutationType": { "name": "Mutation" }, "subscriptionType": { "name": "Subscription" } })
    );

    let date_time = app
        .data(
            r#"{ __type(name: "DateTime") { description specifiedByURL } }"#,
            json!({}),
        )
        .await;
    let description = date_time["__type"]["description"].as_str().unwrap();
    assert!(description.contains("RFC 3339"), "{description}");
    assert!(
        !description.contains("DateTime<"),
        "no library text: {description}"
    );
    assert_eq!(
        date_time["__type"]["specifiedByURL"],
        "https://scalars.graphql.org/andimarek/date-time"
    );

    for (ty, field) in [
        ("GuideSkill", "skill"),
        ("SkillRequirement", "skill"),
        ("Transition", "from"),
        ("Transition", "to"),
        ("Guide", "author"),
        ("Post", "author"),
    ] {
        assert!(non_null(&app, ty, field).await, "{ty}.{field} is non-null");
    }
    // A comment's post can be unpublished under a moderator's eyes: that
    // one stays nullable, and says when it is null.
    assert!(!non_null(&app, "Comment", "post").await);

    let codes = app
        .data(
            r#"{ __type(name: "UserErrorCode") { kind enumValues { name } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(codes["__type"]["kind"], "ENUM");
    let names: Vec<&Value> = codes["__type"]["enumValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["name"])
        .collect();
    for code in [
        "REQUIRED",
        "TOO_SHORT",
        "TOO_LONG",
        "INVALID_FORMAT",
        "DUPLICATE",
        "CONFLICT",
        "CLOSED",
        "RATE_LIMITED",
        "NOT_FOUND",
    ] {
        assert!(names.contains(&&json!(code)), "{code} in {names:?}");
    }
    assert!(non_null(&app, "UserError", "code").await);

    let comment = app
        .data(
            r#"{ __type(name: "Comment") { interfaces { name } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(comment["__type"]["interfaces"], json!([{ "name": "Node" }]));
}
