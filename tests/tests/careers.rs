//! Career-path guides through the API, on both backends: the guide page and
//! its statement count, lists, the planner, and the editors' mutations.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use waypost_db::Role;
use waypost_tests::{Backend, TestApp, backend_tests, uncached};

backend_tests!(
    a_guide_page_runs_a_fixed_number_of_statements,
    lists_page_filter_and_refuse_bad_input,
    the_planner_finds_the_shortest_path_and_the_gaps,
    roles_are_recommended_by_coverage,
    the_catalogue_is_for_editors_and_guides_follow_the_post_rules,
    skills_and_roles_are_edited_and_deleted_by_editors,
    transitions_are_edited_and_deleted_by_editors,
    guides_are_edited_unpublished_and_deleted,
    roles_link_both_ways_and_lists_page_on,
    demo_guides_link_their_posts,
    both_planners_check_known_skills_alike,
    the_demo_seed_adds_careers_once_and_whole,
);

const PASSWORD: &str = "correct horse battery staple";

const GUIDE_PAGE: &str = r#"query($slug: String!) {
  guide(slug: $slug) {
    id title field summary status
    sections { heading html }
    reasons { title text }
    skills { importance note skill { slug name category relatedSkills { slug } } }
    roles {
      slug title seniority responsibilities
      requiredSkills { proficiency skill { slug } }
      nextRoles { typicalYears note to { slug } }
    }
    relatedPosts { slug }
  }
}"#;

/// Statements the guide page of `slug` runs, and its data.
async fn guide_page(app: &TestApp, slug: &str) -> (u64, Value) {
    app.statements_during(app.data(GUIDE_PAGE, json!({ "slug": slug })))
        .await
}

/// The guide, its skills, their rows, their related skills; its roles,
/// their requirements, the required skills, their next roles, the roles
/// those lead to; its related posts and their rows.
const GUIDE_PAGE_STATEMENTS: u64 = 11;

async fn a_guide_page_runs_a_fixed_number_of_statements(backend: Backend) {
    let app = TestApp::spawn_configured(backend, uncached).await;
    let (statements, data) = guide_page(&app, "back-end-engineering").await;
    let guide = &data["guide"];
    assert_eq!(guide["field"], "Back-end engineering");
    assert_eq!(guide["status"], "PUBLISHED");
    assert_eq!(guide["reasons"].as_array().unwrap().len(), 4);
    assert!(!guide["sections"][0]["html"].as_str().unwrap().is_empty());
    let skills = guide["skills"].as_array().unwrap();
    assert_eq!(skills.len(), 20, "the issue's page holds 20 skills");
    let django = skills
        .iter()
        .find(|s| s["skill"]["slug"] == "django")
        .unwrap();
    assert_eq!(django["importance"], "ADVANTAGEOUS");
    assert_eq!(django["skill"]["category"], "FRAMEWORK");
    assert!(
        django["skill"]["relatedSkills"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["slug"] == "python"),
        "Django relates to Python"
    );
    let roles: Vec<&str> = guide["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["slug"].as_str().unwrap())
        .collect();
    for role in [
        "back-end-developer",
        "senior-back-end-developer",
        "devops-engineer",
        "technical-lead",
    ] {
        assert!(roles.contains(&role), "{role} in {roles:?}");
    }
    let junior = &guide["roles"][0];
    assert!(!junior["requiredSkills"].as_array().unwrap().is_empty());
    assert!(!junior["nextRoles"].as_array().unwrap().is_empty());
    assert!(!guide["relatedPosts"].as_array().unwrap().is_empty());
    assert_eq!(statements, GUIDE_PAGE_STATEMENTS, "the guide page");
    // The roles require skills the guide lists too; whichever read answers
    // first, the count stays the same.
    for _ in 0..5 {
        assert_eq!(
            guide_page(&app, "back-end-engineering").await.0,
            GUIDE_PAGE_STATEMENTS
        );
    }

    let (smaller, data) = guide_page(&app, "front-end-engineering").await;
    assert!(
        data["guide"]["skills"].as_array().unwrap().len() < skills.len(),
        "the front-end guide is smaller"
    );
    assert_eq!(smaller, GUIDE_PAGE_STATEMENTS, "the front-end guide page");

    // One skill or the whole catalogue: the count follows the page's shape.
    let editor = app.editor_token().await;
    let catalogue: Vec<Value> = app
        .data("{ skills(first: 100) { nodes { slug } } }", json!({}))
        .await["skills"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["slug"].clone())
        .collect();
    assert!(catalogue.len() > skills.len(), "{}", catalogue.len());
    for listed in [vec![json!("python")], catalogue] {
        let count = listed.len();
        let list: Vec<Value> = listed
            .into_iter()
            .map(|slug| json!({ "skill": slug, "importance": "ESSENTIAL" }))
            .collect();
        let (_, body) = app
            .graphql_as(
                &editor,
                "mutation($i: UpdateGuideInput!) { updateGuide(input: $i) { userErrors { field message } } }",
                json!({ "i": { "id": guide["id"], "changes": { "skills": list } } }),
            )
            .await;
        assert_eq!(
            body["data"]["updateGuide"]["userErrors"],
            json!([]),
            "{body}"
        );
        let (statements, data) = guide_page(&app, "back-end-engineering").await;
        assert_eq!(data["guide"]["skills"].as_array().unwrap().len(), count);
        assert_eq!(statements, GUIDE_PAGE_STATEMENTS, "{count} skills");
    }
}

async fn lists_page_filter_and_refuse_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page = r#"query($after: String, $category: SkillCategory) {
      skills(first: 2, after: $after, filter: { category: $category }) {
        totalCount pageInfo { hasNextPage endCursor } nodes { slug category }
      } }"#;
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .data(page, json!({ "after": after, "category": "FRAMEWORK" }))
            .await;
        let skills = &data["skills"];
        for node in skills["nodes"].as_array().unwrap() {
            assert_eq!(node["category"], "FRAMEWORK");
            seen.push(node["slug"].as_str().unwrap().to_owned());
        }
        if skills["pageInfo"]["hasNextPage"] == false {
            assert_eq!(skills["totalCount"], seen.len());
            break;
        }
        after = skills["pageInfo"]["endCursor"].clone();
    }
    assert!(seen.contains(&"django".to_owned()) && seen.contains(&"react".to_owned()));
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "each once, by slug");

    let data = app
        .data(
            r#"{ guides(filter: { field: "Front-end engineering" }) { totalCount nodes { slug } }
                 all: guides { totalCount }
                 roles(first: 3) { totalCount nodes { slug } pageInfo { hasNextPage } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["guides"]["totalCount"], 1);
    assert_eq!(data["guides"]["nodes"][0]["slug"], "front-end-engineering");
    assert_eq!(data["all"]["totalCount"], 2);
    assert_eq!(data["roles"]["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(data["roles"]["pageInfo"]["hasNextPage"], true);

    let data = app
        .data(
            r#"{ guide(slug: "nope") { id } skill(slug: "nope") { id } role(slug: "nope") { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        data,
        json!({ "guide": null, "skill": null, "role": null }),
        "unknown slugs are null"
    );
    for query in [
        r#"{ skills(after: "garbage") { totalCount } }"#,
        r#"{ roles(first: 101) { totalCount } }"#,
        r#"{ guides(first: -1) { totalCount } }"#,
    ] {
        assert_eq!(
            app.error_code(query, json!({})).await,
            "BAD_USER_INPUT",
            "{query}"
        );
    }

    // Skills, roles and guides are nodes.
    let data = app
        .data(r#"{ skill(slug: "python") { id } role(slug: "technical-lead") { id } guide(slug: "back-end-engineering") { id } }"#, json!({}))
        .await;
    for (kind, field) in [("Skill", "skill"), ("Role", "role"), ("Guide", "guide")] {
        let node = app
            .data(
                "query($id: ID!) { node(id: $id) { __typename id } }",
                json!({ "id": data[field]["id"] }),
            )
            .await;
        assert_eq!(node["node"]["__typename"], kind);
        assert_eq!(node["node"]["id"], data[field]["id"]);
    }
}

const PATH: &str = r#"query($from: String!, $to: String!, $known: [SkillLevelInput!]) {
  careerPath(from: $from, to: $to, knownSkills: $known) {
    totalYears reason
    steps {
      role { slug }
      transition { typicalYears from { slug } to { slug } }
      skillsToAcquire { skill { slug } requiredProficiency currentProficiency }
    }
  } }"#;

fn step_slugs(data: &Value) -> Vec<String> {
    data["careerPath"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["role"]["slug"].as_str().unwrap().to_owned())
        .collect()
}

fn gap(step: &Value, skill: &str) -> Option<(i64, i64)> {
    step["skillsToAcquire"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["skill"]["slug"] == skill)
        .map(|g| {
            (
                g["requiredProficiency"].as_i64().unwrap(),
                g["currentProficiency"].as_i64().unwrap(),
            )
        })
}

async fn the_planner_finds_the_shortest_path_and_the_gaps(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Two routes lead from a junior back-end post to technical lead: via
    // the senior role (2.5 + 2 years) and via DevOps (3.5 + 2.5 years).
    let data = app
        .data(
            PATH,
            json!({ "from": "back-end-developer", "to": "technical-lead", "known": [] }),
        )
        .await;
    assert_eq!(
        step_slugs(&data),
        ["senior-back-end-developer", "technical-lead"]
    );
    assert_eq!(data["careerPath"]["totalYears"], 4.5);
    assert_eq!(data["careerPath"]["reason"], Value::Null);
    let first = &data["careerPath"]["steps"][0];
    assert_eq!(first["transition"]["from"]["slug"], "back-end-developer");
    // A back-end developer has what that role requires (Python at 3);
    // the senior role asks for more. Caching is new.
    assert_eq!(gap(first, "python"), Some((4, 3)), "{first}");
    assert_eq!(gap(first, "caching"), Some((3, 0)), "{first}");

    // Known skills shrink the gaps; what step 1 teaches is not asked again
    // at step 2 unless step 2 wants more.
    let data = app
        .data(
            PATH,
            json!({ "from": "back-end-developer", "to": "technical-lead",
                    "known": [{ "skill": "python", "proficiency": 5 }] }),
        )
        .await;
    let steps = data["careerPath"]["steps"].as_array().unwrap();
    assert_eq!(
        gap(&steps[0], "python"),
        None,
        "python is known well enough"
    );
    assert_eq!(gap(&steps[0], "scalable-system-design"), Some((3, 0)));
    assert_eq!(
        gap(&steps[1], "scalable-system-design"),
        Some((5, 3)),
        "learned to 3 at the first step, 5 wanted at the second"
    );
    assert_eq!(
        gap(&steps[1], "database-design"),
        None,
        "learned at the first step"
    );

    // The graph has a cycle (lead back to senior); the planner still ends.
    let data = app
        .data(
            PATH,
            json!({ "from": "technical-lead", "to": "back-end-developer" }),
        )
        .await;
    assert!(step_slugs(&data).is_empty());
    assert!(
        data["careerPath"]["reason"]
            .as_str()
            .unwrap()
            .contains("no known progression")
    );
    let data = app
        .data(
            PATH,
            json!({ "from": "devops-engineer", "to": "devops-engineer" }),
        )
        .await;
    assert!(step_slugs(&data).is_empty());
    assert_eq!(data["careerPath"]["totalYears"], 0.0);
    assert!(
        data["careerPath"]["reason"]
            .as_str()
            .unwrap()
            .contains("already")
    );

    for (variables, field) in [
        (json!({ "from": "nope", "to": "technical-lead" }), "from"),
        (json!({ "from": "back-end-developer", "to": "nope" }), "to"),
        (
            json!({ "from": "back-end-developer", "to": "technical-lead", "known": [{ "skill": "nope", "proficiency": 2 }] }),
            "knownSkills",
        ),
        (
            json!({ "from": "back-end-developer", "to": "technical-lead", "known": [{ "skill": "python", "proficiency": 6 }] }),
            "knownSkills",
        ),
    ] {
        let body = app.graphql(PATH, variables).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
}

async fn roles_are_recommended_by_coverage(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let query = r#"query($known: [SkillLevelInput!]!) {
      recommendRoles(knownSkills: $known, first: 3) { coverage role { slug } missingSkills { skill { slug } requiredProficiency currentProficiency } }
    }"#;
    let frontend = json!([
        { "skill": "html", "proficiency": 5 }, { "skill": "css", "proficiency": 5 },
        { "skill": "javascript", "proficiency": 5 }, { "skill": "typescript", "proficiency": 4 },
        { "skill": "react", "proficiency": 4 }, { "skill": "git", "proficiency": 4 }
    ]);
    let data = app.data(query, json!({ "known": frontend })).await;
    let ranked = data["recommendRoles"].as_array().unwrap();
    assert_eq!(ranked.len(), 3);
    assert_eq!(ranked[0]["role"]["slug"], "front-end-developer", "{data}");
    let coverages: Vec<f64> = ranked
        .iter()
        .map(|r| r["coverage"].as_f64().unwrap())
        .collect();
    assert!(coverages.windows(2).all(|w| w[0] >= w[1]), "{coverages:?}");
    assert!(coverages.iter().all(|c| (0.0..=1.0).contains(c)));
    for missing in ranked[0]["missingSkills"].as_array().unwrap() {
        assert!(missing["currentProficiency"].as_i64() < missing["requiredProficiency"].as_i64());
    }
    // The same question, the same answer.
    assert_eq!(app.data(query, json!({ "known": frontend })).await, data);
    let body = app
        .graphql(
            query,
            json!({ "known": [{ "skill": "python", "proficiency": 0 }] }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

async fn sign_in_as(app: &TestApp, email: &str, role: Role, author: Option<&str>) -> String {
    app.create_user(email, PASSWORD, role, author).await;
    app.sign_in(email, PASSWORD).await
}

/// Session tokens of an editor and of two authors, Amara (who wrote the
/// demo guides) and Tomas.
async fn staff(app: &TestApp) -> [String; 3] {
    [
        app.editor_token().await,
        sign_in_as(app, "amara@example.com", Role::Author, Some("amara-okafor")).await,
        sign_in_as(
            app,
            "tomas@example.com",
            Role::Author,
            Some("tomas-lindqvist"),
        )
        .await,
    ]
}

async fn the_catalogue_is_for_editors_and_guides_follow_the_post_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let [editor, amara, tomas] = staff(&app).await;
    let create_skill = "mutation($i: SkillInput!) { createSkill(input: $i) { skill { id slug relatedSkills { slug } } userErrors { field code } } }";
    let rust = json!({ "i": { "name": "Rust", "category": "LANGUAGE", "relatedSkills": ["automated-testing"] } });

    let body = app.graphql(create_skill, rust.clone()).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let (_, body) = app.graphql_as(&amara, create_skill, rust.clone()).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let (_, body) = app.graphql_as(&editor, create_skill, rust.clone()).await;
    let skill = &body["data"]["createSkill"]["skill"];
    assert_eq!(skill["slug"], "rust", "{body}");
    assert_eq!(skill["relatedSkills"][0]["slug"], "automated-testing");
    let (_, body) = app.graphql_as(&editor, create_skill, rust).await;
    assert_eq!(
        body["data"]["createSkill"]["userErrors"],
        json!([{ "field": "slug", "code": "CONFLICT" }])
    );
    let (_, body) = app
        .graphql_as(
            &editor,
            create_skill,
            json!({ "i": { "name": "", "relatedSkills": ["nope"] } }),
        )
        .await;
    let fields: Vec<&str> = body["data"]["createSkill"]["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "category", "relatedSkills"], "{body}");

    // A new role and a transition to it change what the planner says.
    let (_, body) = app
        .graphql_as(
            &editor,
            "mutation($i: RoleInput!) { createRole(input: $i) { role { slug seniority requiredSkills { proficiency skill { slug } } } userErrors { field } } }",
            json!({ "i": { "title": "Systems programmer", "seniority": "SENIOR", "responsibilities": ["Write fast, safe services"], "requiredSkills": [{ "skill": "rust", "proficiency": 4 }] } }),
        )
        .await;
    let role = &body["data"]["createRole"]["role"];
    assert_eq!(role["slug"], "systems-programmer", "{body}");
    assert_eq!(role["requiredSkills"][0]["skill"]["slug"], "rust");
    let create_transition = "mutation($i: TransitionInput!) { createTransition(input: $i) { transition { id typicalYears } userErrors { field code } } }";
    let (_, body) = app
        .graphql_as(
            &editor,
            create_transition,
            json!({ "i": { "from": "back-end-developer", "to": "systems-programmer", "typicalYears": 1.5, "note": "Learn Rust on the job" } }),
        )
        .await;
    let transition = body["data"]["createTransition"]["transition"].clone();
    assert_eq!(transition["typicalYears"], 1.5, "{body}");
    for (input, field) in [
        (
            json!({ "from": "back-end-developer", "to": "back-end-developer", "typicalYears": 1 }),
            "to",
        ),
        (
            json!({ "from": "back-end-developer", "to": "nope", "typicalYears": 1 }),
            "to",
        ),
    ] {
        let (_, body) = app
            .graphql_as(&editor, create_transition, json!({ "i": input }))
            .await;
        assert_eq!(
            body["data"]["createTransition"]["userErrors"][0]["field"], field,
            "{body}"
        );
    }
    let (_, body) = app
        .graphql_as(&editor, create_transition, json!({ "i": { "from": "back-end-developer", "to": "devops-engineer", "typicalYears": -1 } }))
        .await;
    assert_eq!(
        body["data"]["createTransition"]["userErrors"][0]["field"], "typicalYears",
        "{body}"
    );
    let path = app
        .data(
            PATH,
            json!({ "from": "back-end-developer", "to": "systems-programmer" }),
        )
        .await;
    assert_eq!(step_slugs(&path), ["systems-programmer"]);
    assert_eq!(path["careerPath"]["totalYears"], 1.5);
    let (_, body) = app
        .graphql_as(
            &editor,
            "mutation($i: DeleteInput!) { deleteTransition(input: $i) { deletedId } }",
            json!({ "i": { "id": transition["id"] } }),
        )
        .await;
    assert_eq!(
        body["data"]["deleteTransition"]["deletedId"],
        transition["id"]
    );
    let path = app
        .data(
            PATH,
            json!({ "from": "back-end-developer", "to": "systems-programmer" }),
        )
        .await;
    assert!(step_slugs(&path).is_empty());

    // Guides: an author writes a draft, publishes it; only editors delete.
    let create_guide = "mutation($i: GuideInput!) { createGuide(input: $i) { guide { id slug status author { slug } skills { importance skill { slug } } } userErrors { field code } } }";
    let (_, body) = app
        .graphql_as(
            &amara,
            create_guide,
            json!({ "i": { "title": "Systems programming", "field": "Systems programming", "summary": "Close to the metal.",
                    "sections": [{ "heading": "Why", "body": "Speed *and* safety. <script>x</script>" }],
                    "reasons": [{ "title": "Performance", "text": "Every cycle counts." }],
                    "skills": [{ "skill": "rust", "importance": "ESSENTIAL", "note": "The language of the field" }],
                    "roles": ["systems-programmer"], "relatedPosts": ["postgresql-indexing-basics"] } }),
        )
        .await;
    let guide = body["data"]["createGuide"]["guide"].clone();
    let (_, refused) = app
        .graphql_as(
            &amara,
            create_guide,
            json!({ "i": { "title": "Another", "field": "Systems programming", "slug": "my-pick",
                    "relatedPosts": ["notes-on-graphql-schema-design"] } }),
        )
        .await;
    assert_eq!(
        refused["data"]["createGuide"]["userErrors"],
        json!([{ "field": "slug", "code": "FORBIDDEN" }, { "field": "relatedPosts", "code": "NOT_FOUND" }]),
        "authors do not choose slugs, and a draft post is no related post: {refused}"
    );
    assert_eq!(guide["status"], "DRAFT", "{body}");
    assert_eq!(guide["author"]["slug"], "amara-okafor");
    assert_eq!(guide["skills"][0]["skill"]["slug"], "rust");
    let read = r#"query { guide(slug: "systems-programming") { status sections { html } } }"#;
    assert_eq!(
        app.data(read, json!({})).await["guide"],
        Value::Null,
        "drafts are private"
    );
    let (_, seen) = app.graphql_as(&amara, read, json!({})).await;
    let html = seen["data"]["guide"]["sections"][0]["html"]
        .as_str()
        .unwrap();
    assert!(
        html.contains("<em>and</em>") && !html.contains("<script"),
        "{html}"
    );
    let (_, seen) = app.graphql_as(&tomas, read, json!({})).await;
    assert_eq!(seen["data"]["guide"], Value::Null, "another author's draft");
    let (_, body) = app
        .graphql_as(
            &tomas,
            "mutation($i: UpdateGuideInput!) { updateGuide(input: $i) { guide { title } } }",
            json!({ "i": { "id": guide["id"], "changes": { "title": "Mine now" } } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let publish = "mutation($i: PublishGuideInput!) { publishGuide(input: $i) { guide { status publishedAt } userErrors { field } } }";
    let (_, body) = app
        .graphql_as(
            &amara,
            publish,
            json!({ "i": { "id": guide["id"], "publishAt": "2020-01-01T00:00:00Z" } }),
        )
        .await;
    assert_eq!(
        body["data"]["publishGuide"]["userErrors"][0]["field"], "publishAt",
        "no back-dating: {body}"
    );
    let (_, body) = app
        .graphql_as(
            &amara,
            publish,
            json!({ "i": { "id": guide["id"], "publishAt": "2999-01-01T00:00:00Z" } }),
        )
        .await;
    assert_eq!(
        body["data"]["publishGuide"]["guide"]["status"], "SCHEDULED",
        "{body}"
    );
    assert_eq!(
        app.data(read, json!({})).await["guide"],
        Value::Null,
        "not yet"
    );
    let (_, body) = app
        .graphql_as(&amara, publish, json!({ "i": { "id": guide["id"] } }))
        .await;
    assert_eq!(
        body["data"]["publishGuide"]["guide"]["status"], "PUBLISHED",
        "{body}"
    );
    let first_date = body["data"]["publishGuide"]["guide"]["publishedAt"].clone();
    let (_, body) = app
        .graphql_as(&amara, publish, json!({ "i": { "id": guide["id"] } }))
        .await;
    assert_eq!(
        body["data"]["publishGuide"]["guide"]["publishedAt"], first_date,
        "publishing a live guide again keeps its date"
    );
    assert_eq!(
        app.data(read, json!({})).await["guide"]["status"],
        "PUBLISHED"
    );
    let rust_guides = app
        .data(
            r#"{ skill(slug: "rust") { guides { slug } roles { slug } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        rust_guides["skill"]["guides"][0]["slug"],
        "systems-programming"
    );
    assert_eq!(
        rust_guides["skill"]["roles"][0]["slug"],
        "systems-programmer"
    );
    let delete = "mutation($i: DeleteInput!) { deleteGuide(input: $i) { deletedId } }";
    let (_, body) = app
        .graphql_as(&amara, delete, json!({ "i": { "id": guide["id"] } }))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let (_, body) = app
        .graphql_as(&editor, delete, json!({ "i": { "id": guide["id"] } }))
        .await;
    assert_eq!(body["data"]["deleteGuide"]["deletedId"], guide["id"]);
    assert_eq!(app.data(read, json!({})).await["guide"], Value::Null);
}

/// Runs a catalogue mutation as an editor and returns the response, after
/// checking that an anonymous caller must sign in and an author may not.
async fn as_editor_only(
    app: &TestApp,
    [editor, author]: [&str; 2],
    query: &str,
    variables: Value,
) -> Value {
    let body = app.graphql(query, variables.clone()).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{body}"
    );
    let (_, body) = app.graphql_as(author, query, variables.clone()).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    app.graphql_as(editor, query, variables).await.1
}

/// `mutation` (deleteSkill, deleteRole...) of the id in `$i`.
fn delete_query(mutation: &str) -> String {
    format!(
        "mutation($i: DeleteInput!) {{ {mutation}(input: $i) {{ deletedId userErrors {{ field }} }} }}"
    )
}

/// Deletes `id` through `mutation` as an editor, once for real and once
/// more, which finds nothing and is no error (as with posts).
async fn delete_twice(app: &TestApp, editor_and_author: [&str; 2], mutation: &str, id: &Value) {
    let query = delete_query(mutation);
    let variables = json!({ "i": { "id": id } });
    let body = as_editor_only(app, editor_and_author, &query, variables.clone()).await;
    assert_eq!(
        body["data"][mutation],
        json!({ "deletedId": id, "userErrors": [] }),
        "{body}"
    );
    let (_, body) = app
        .graphql_as(editor_and_author[0], &query, variables)
        .await;
    assert_eq!(
        body["data"][mutation],
        json!({ "deletedId": null, "userErrors": [] }),
        "nothing left to delete: {body}"
    );
}

/// The `extensions` of a refusal that names an input field.
async fn bad_input_field(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let (_, body) = app.graphql_as(token, query, variables).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    body["errors"][0]["extensions"]["field"].clone()
}

fn slugs_of(list: &Value, path: &[&str]) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| {
            path.iter()
                .fold(item, |v, key| &v[*key])
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

const UPDATE_SKILL: &str = "mutation($i: UpdateSkillInput!) { updateSkill(input: $i) { skill { slug name category description relatedSkills { slug } } userErrors { field code } } }";
const UPDATE_ROLE: &str = "mutation($i: UpdateRoleInput!) { updateRole(input: $i) { role { slug title seniority responsibilities requiredSkills { proficiency skill { slug } } } userErrors { field code } } }";

async fn skills_and_roles_are_edited_and_deleted_by_editors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let [editor, author, _] = staff(&app).await;
    let ids = app
        .data(
            r#"{ python: skill(slug: "python") { id } mongodb: skill(slug: "mongodb") { id }
                 junior: role(slug: "back-end-developer") { id }
                 principal: role(slug: "principal-engineer") { id previousRoles { id from { slug } } }
                 lead: role(slug: "technical-lead") { nextRoles { to { slug } } } }"#,
            json!({}),
        )
        .await;

    // updateSkill: fields left out keep their value, a list replaces.
    let change = json!({ "i": { "id": ids["python"]["id"], "changes": { "description": "A readable language.", "relatedSkills": ["django"] } } });
    let body = as_editor_only(&app, [&editor, &author], UPDATE_SKILL, change).await;
    assert_eq!(
        body["data"]["updateSkill"],
        json!({ "skill": { "slug": "python", "name": "Python", "category": "LANGUAGE",
                "description": "A readable language.", "relatedSkills": [{ "slug": "django" }] },
                "userErrors": [] }),
        "{body}"
    );
    let (_, body) = app
        .graphql_as(
            &editor,
            UPDATE_SKILL,
            json!({ "i": { "id": ids["python"]["id"], "changes": { "name": " ", "relatedSkills": ["python"] } } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateSkill"],
        json!({ "skill": null, "userErrors": [
            { "field": "name", "code": "REQUIRED" },
            { "field": "relatedSkills", "code": "INVALID" }] }),
        "{body}"
    );
    assert_eq!(
        app.data(r#"{ skill(slug: "python") { name } }"#, json!({}))
            .await["skill"]["name"],
        "Python",
        "a refused edit changes nothing"
    );

    // deleteSkill: guides and roles lose it; deleting twice deletes nothing.
    delete_twice(
        &app,
        [&editor, &author],
        "deleteSkill",
        &ids["mongodb"]["id"],
    )
    .await;
    let after = app
        .data(
            r#"{ skill(slug: "mongodb") { id } guide(slug: "back-end-engineering") { skills { skill { slug } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(after["skill"], Value::Null);
    assert!(
        !slugs_of(&after["guide"]["skills"], &["skill", "slug"]).contains(&"mongodb".to_owned())
    );
    assert_eq!(
        bad_input_field(
            &app,
            &editor,
            &delete_query("deleteSkill"),
            json!({ "i": { "id": ids["junior"]["id"] } })
        )
        .await,
        "id",
        "a role's id names no skill"
    );

    // updateRole: the requirements are replaced, the rest kept.
    let change = json!({ "i": { "id": ids["junior"]["id"], "changes": {
        "title": "Junior back-end developer", "requiredSkills": [{ "skill": "python", "proficiency": 2 }] } } });
    let body = as_editor_only(&app, [&editor, &author], UPDATE_ROLE, change).await;
    let role = &body["data"]["updateRole"]["role"];
    assert_eq!(role["slug"], "back-end-developer", "{body}");
    assert_eq!(role["title"], "Junior back-end developer");
    assert_eq!(role["seniority"], "ENTRY");
    assert_eq!(role["responsibilities"].as_array().unwrap().len(), 3);
    assert_eq!(
        role["requiredSkills"],
        json!([{ "proficiency": 2, "skill": { "slug": "python" } }])
    );
    let (_, body) = app
        .graphql_as(
            &editor,
            UPDATE_ROLE,
            json!({ "i": { "id": ids["junior"]["id"], "changes": { "requiredSkills": [{ "skill": "python", "proficiency": 6 }] } } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateRole"],
        json!({ "role": null, "userErrors": [{ "field": "requiredSkills", "code": "INVALID" }] }),
        "{body}"
    );

    // deleteRole: its transitions go with it.
    let into_principal = ids["principal"]["previousRoles"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!into_principal.is_empty());
    assert!(
        slugs_of(&ids["lead"]["nextRoles"], &["to", "slug"])
            .contains(&"principal-engineer".to_owned())
    );
    delete_twice(
        &app,
        [&editor, &author],
        "deleteRole",
        &ids["principal"]["id"],
    )
    .await;
    for transition in &into_principal {
        let node = app
            .data(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": transition["id"] }),
            )
            .await;
        assert_eq!(node["node"], Value::Null, "{transition} went with the role");
    }
    let lead = app
        .data(r#"{ role(slug: "technical-lead") { nextRoles { to { slug } } } principal: role(slug: "principal-engineer") { id } }"#, json!({}))
        .await;
    assert_eq!(lead["principal"], Value::Null);
    assert!(
        !slugs_of(&lead["role"]["nextRoles"], &["to", "slug"])
            .contains(&"principal-engineer".to_owned())
    );
    assert_eq!(
        bad_input_field(
            &app,
            &editor,
            &delete_query("deleteRole"),
            json!({ "i": { "id": "not an id" } })
        )
        .await,
        "id"
    );
}

const UPDATE_TRANSITION: &str = "mutation($i: UpdateTransitionInput!) { updateTransition(input: $i) { transition { id typicalYears note from { slug } to { slug } } userErrors { field code } } }";

async fn transitions_are_edited_and_deleted_by_editors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let [editor, author, _] = staff(&app).await;
    let senior = app
        .data(
            r#"{ role(slug: "back-end-developer") { nextRoles { id to { slug } } } }"#,
            json!({}),
        )
        .await;
    let step = senior["role"]["nextRoles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["to"]["slug"] == "senior-back-end-developer")
        .unwrap()
        .clone();

    let change = json!({ "i": { "id": step["id"], "changes": { "typicalYears": 2, "note": "Quicker with a mentor" } } });
    let body = as_editor_only(&app, [&editor, &author], UPDATE_TRANSITION, change).await;
    assert_eq!(
        body["data"]["updateTransition"],
        json!({ "transition": { "id": step["id"], "typicalYears": 2.0, "note": "Quicker with a mentor",
                "from": { "slug": "back-end-developer" }, "to": { "slug": "senior-back-end-developer" } },
                "userErrors": [] }),
        "{body}"
    );
    let path = app
        .data(
            PATH,
            json!({ "from": "back-end-developer", "to": "technical-lead" }),
        )
        .await;
    assert_eq!(
        path["careerPath"]["totalYears"], 4.0,
        "the planner sees the edit"
    );
    for (changes, field, code) in [
        (json!({ "to": "back-end-developer" }), "to", "INVALID"),
        (
            json!({ "to": "senior-back-end-developer", "from": "nope" }),
            "from",
            "NOT_FOUND",
        ),
        (json!({ "typicalYears": 0 }), "typicalYears", "INVALID"),
    ] {
        let (_, body) = app
            .graphql_as(
                &editor,
                UPDATE_TRANSITION,
                json!({ "i": { "id": step["id"], "changes": changes } }),
            )
            .await;
        assert_eq!(
            body["data"]["updateTransition"]["transition"],
            Value::Null,
            "{body}"
        );
        assert_eq!(
            body["data"]["updateTransition"]["userErrors"][0],
            json!({ "field": field, "code": code }),
            "{body}"
        );
    }

    delete_twice(&app, [&editor, &author], "deleteTransition", &step["id"]).await;
}

const UPDATE_GUIDE: &str = "mutation($i: UpdateGuideInput!) { updateGuide(input: $i) { guide { slug title field summary
    sections { heading html } reasons { title text } skills { importance note skill { slug } } roles { slug } relatedPosts { slug } }
    userErrors { field code } } }";
const UNPUBLISH_GUIDE: &str = "mutation($i: DeleteInput!) { unpublishGuide(input: $i) { guide { status publishedAt } userErrors { field } } }";
const CREATE_GUIDE: &str = "mutation($i: GuideInput!) { createGuide(input: $i) { guide { slug author { slug } } userErrors { field code } } }";

async fn guides_are_edited_unpublished_and_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let [editor, amara, tomas] = staff(&app).await;
    let ids = app
        .data(
            r#"{ back: guide(slug: "back-end-engineering") { id summary field }
                 front: guide(slug: "front-end-engineering") { id } }"#,
            json!({}),
        )
        .await;

    // updateGuide: every list given replaces the stored one.
    let (_, body) = app
        .graphql_as(
            &editor,
            UPDATE_GUIDE,
            json!({ "i": { "id": ids["back"]["id"], "changes": {
                "title": "Server-side engineering",
                "sections": [{ "heading": "In short", "body": "Servers *matter*." }],
                "reasons": [{ "title": "Puzzles", "text": "Every day brings one." }],
                "skills": [{ "skill": "caching", "importance": "OPTIONAL", "note": "Later" }, { "skill": "sql", "importance": "ESSENTIAL" }],
                "roles": ["devops-engineer"],
                "relatedPosts": ["caching-without-regret"] } } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateGuide"],
        json!({ "guide": {
            "slug": "back-end-engineering", "title": "Server-side engineering",
            "field": ids["back"]["field"], "summary": ids["back"]["summary"],
            "sections": [{ "heading": "In short", "html": "<p>Servers <em>matter</em>.</p>\n" }],
            "reasons": [{ "title": "Puzzles", "text": "Every day brings one." }],
            "skills": [
                { "importance": "OPTIONAL", "note": "Later", "skill": { "slug": "caching" } },
                { "importance": "ESSENTIAL", "note": "", "skill": { "slug": "sql" } }],
            "roles": [{ "slug": "devops-engineer" }],
            "relatedPosts": [{ "slug": "caching-without-regret" }] },
            "userErrors": [] }),
        "{body}"
    );
    let (_, body) = app
        .graphql_as(
            &editor,
            UPDATE_GUIDE,
            json!({ "i": { "id": ids["back"]["id"], "changes": {
                "title": "Refused", "skills": [{ "skill": "nope", "importance": "ESSENTIAL" }] } } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateGuide"],
        json!({ "guide": null, "userErrors": [{ "field": "skills", "code": "NOT_FOUND" }] }),
        "{body}"
    );
    assert_eq!(
        app.data(
            r#"{ guide(slug: "back-end-engineering") { title } }"#,
            json!({})
        )
        .await["guide"]["title"],
        "Server-side engineering",
        "a refused edit changes nothing"
    );

    // unpublishGuide: back to a private draft; its author may, others not.
    let unpublish = json!({ "i": { "id": ids["front"]["id"] } });
    let body = app.graphql(UNPUBLISH_GUIDE, unpublish.clone()).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let (_, body) = app
        .graphql_as(&tomas, UNPUBLISH_GUIDE, unpublish.clone())
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "not his guide"
    );
    let (_, body) = app.graphql_as(&amara, UNPUBLISH_GUIDE, unpublish).await;
    assert_eq!(
        body["data"]["unpublishGuide"],
        json!({ "guide": { "status": "DRAFT", "publishedAt": null }, "userErrors": [] }),
        "{body}"
    );
    let public = app
        .data(
            r#"{ guide(slug: "front-end-engineering") { id } guides { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        public,
        json!({ "guide": null, "guides": { "totalCount": 1 } })
    );
    assert_eq!(
        bad_input_field(
            &app,
            &editor,
            UNPUBLISH_GUIDE,
            json!({ "i": { "id": "R3VpZGU6MA==" } })
        )
        .await,
        "id",
        "Guide:0 is no id Waypost issues"
    );

    delete_twice(&app, [&editor, &amara], "deleteGuide", &ids["front"]["id"]).await;

    // authorSlug is checked after the caller may write at all.
    let named = |slug: &str| json!({ "i": { "title": "Data engineering", "field": "Data engineering", "authorSlug": slug } });
    let body = app.graphql(CREATE_GUIDE, named("nope")).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "a stranger learns nothing of the author profiles: {body}"
    );
    let (_, body) = app.graphql_as(&editor, CREATE_GUIDE, named("nope")).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["data"]["createGuide"],
        json!({ "guide": null, "userErrors": [{ "field": "authorSlug", "code": "NOT_FOUND" }] })
    );
    let (_, body) = app
        .graphql_as(&editor, CREATE_GUIDE, named("tomas-lindqvist"))
        .await;
    assert_eq!(
        body["data"]["createGuide"]["guide"],
        json!({ "slug": "data-engineering", "author": { "slug": "tomas-lindqvist" } }),
        "{body}"
    );
}

async fn roles_link_both_ways_and_lists_page_on(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let data = app
        .data(
            r#"{ role(slug: "senior-back-end-developer") {
                   previousRoles { id typicalYears from { slug } to { slug } } } }"#,
            json!({}),
        )
        .await;
    let previous = &data["role"]["previousRoles"];
    assert_eq!(
        slugs_of(previous, &["from", "slug"]),
        [
            "technical-lead",
            "senior-front-end-developer",
            "back-end-developer"
        ],
        "quickest first: {previous}"
    );
    for transition in previous.as_array().unwrap() {
        assert_eq!(transition["to"]["slug"], "senior-back-end-developer");
    }
    assert_eq!(previous[2]["typicalYears"], 2.5);

    // A transition is a node.
    let node = app
        .data(
            "query($id: ID!) { node(id: $id) { __typename id ... on Transition { typicalYears from { slug } to { slug } } } }",
            json!({ "id": previous[2]["id"] }),
        )
        .await;
    assert_eq!(
        node["node"],
        json!({ "__typename": "Transition", "id": previous[2]["id"], "typicalYears": 2.5,
                "from": { "slug": "back-end-developer" }, "to": { "slug": "senior-back-end-developer" } })
    );

    // Paging with `after` visits every role once, by slug, and every
    // published guide once, newest first.
    let roles = r#"query($after: String) { roles(first: 3, after: $after) {
        totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { slug } } }"#;
    let guides = r#"query($after: String) { guides(first: 1, after: $after) {
        totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { slug } } }"#;
    for (query, field, expected) in [
        (
            roles,
            "roles",
            vec![
                "back-end-developer",
                "devops-engineer",
                "front-end-developer",
                "principal-engineer",
                "senior-back-end-developer",
                "senior-front-end-developer",
                "technical-lead",
            ],
        ),
        (
            guides,
            "guides",
            vec!["back-end-engineering", "front-end-engineering"],
        ),
    ] {
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let data = app.data(query, json!({ "after": after })).await;
            let page = &data[field];
            assert_eq!(page["totalCount"], expected.len());
            assert_eq!(page["pageInfo"]["hasPreviousPage"], !after.is_null());
            seen.extend(slugs_of(&page["nodes"], &["slug"]));
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, expected, "{field}");
    }
}

async fn demo_guides_link_their_posts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let links = "query($slug: String!) { guide(slug: $slug) { relatedPosts { slug } } }";
    for (guide, post) in [
        (
            "back-end-engineering",
            "exploring-back-end-engineering-as-a-career",
        ),
        (
            "front-end-engineering",
            "front-end-engineering-a-career-guide",
        ),
    ] {
        // Only live posts are listed, so the post is there and published.
        let data = app.data(links, json!({ "slug": guide })).await;
        assert_eq!(
            data["guide"]["relatedPosts"][0]["slug"], post,
            "{guide} links its post first: {data}"
        );
    }
}

const RECOMMEND: &str = r#"query($known: [SkillLevelInput!]!) {
  recommendRoles(knownSkills: $known) { role { slug } } }"#;

async fn both_planners_check_known_skills_alike(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let level = |slug: &str| json!({ "skill": slug, "proficiency": 3 });
    let too_many: Vec<Value> = (0..101).map(|i| level(&format!("skill-{i}"))).collect();
    let long = "x".repeat(5_000);
    for (known, says) in [
        (json!(too_many), "at most 100"),
        (json!([level("python"), level("nope")]), "no skill \"nope\""),
        (
            json!([level("python"), level("sql"), level("python")]),
            "listed twice",
        ),
        (json!([level(&long)]), "…"),
    ] {
        for (query, variables) in [
            (
                PATH,
                json!({ "from": "back-end-developer", "to": "technical-lead", "known": known }),
            ),
            (RECOMMEND, json!({ "known": known })),
        ] {
            let body = app.graphql(query, variables).await;
            let error = &body["errors"][0];
            assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body:.300}");
            assert_eq!(error["extensions"]["field"], "knownSkills", "{body:.300}");
            let message = error["message"].as_str().unwrap();
            assert!(message.contains(says), "{message:.300}");
            assert!(
                message.len() < 200,
                "the input is not sent back whole: {message:.300}"
            );
        }
    }
    // A role slug is cut too, and so is a slug a field error names.
    let body = app
        .graphql(PATH, json!({ "from": long, "to": "technical-lead" }))
        .await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.len() < 200, "{message:.300}");
    let editor = app.editor_token().await;
    let (_, body) = app
        .graphql_as(
            &editor,
            "mutation($i: SkillInput!) { createSkill(input: $i) { userErrors { field message } } }",
            json!({ "i": { "name": "Go", "category": "LANGUAGE", "relatedSkills": [long] } }),
        )
        .await;
    let error = &body["data"]["createSkill"]["userErrors"][0];
    assert_eq!(error["field"], "relatedSkills", "{body:.300}");
    assert!(
        error["message"].as_str().unwrap().len() < 200,
        "{error:.300}"
    );
}

async fn the_demo_seed_adds_careers_once_and_whole(backend: Backend) {
    use waypost_domain::demo::{SeedOutcome, demo_bundle, seed_demo, seed_if_empty};
    let app = TestApp::empty(backend).await;
    let now = chrono::Utc::now().naive_utc();
    // A database seeded before career guides existed: posts, no skills.
    assert!(matches!(
        seed_if_empty(&app.pool, demo_bundle(now).unwrap())
            .await
            .unwrap(),
        SeedOutcome::Seeded(_)
    ));
    let counts = r#"{ skills { totalCount } roles { totalCount } guides { totalCount } }"#;
    let none = json!({ "skills": { "totalCount": 0 }, "roles": { "totalCount": 0 }, "guides": { "totalCount": 0 } });
    assert_eq!(app.data(counts, json!({})).await, none);

    // A seed that fails midway leaves nothing behind: a role is in the way
    // of a demo role, so the seed fails after writing the skills.
    let editor = app.editor_token().await;
    let create_role = "mutation($i: RoleInput!) { createRole(input: $i) { role { id } } }";
    let (_, body) = app
        .graphql_as(
            &editor,
            create_role,
            json!({ "i": { "title": "Technical lead", "seniority": "LEAD" } }),
        )
        .await;
    let blocker = body["data"]["createRole"]["role"]["id"].clone();
    assert!(seed_demo(&app.pool).await.is_err());
    assert_eq!(
        app.data(counts, json!({})).await,
        json!({ "skills": { "totalCount": 0 }, "roles": { "totalCount": 1 }, "guides": { "totalCount": 0 } }),
        "rolled back whole"
    );
    let (_, body) = app
        .graphql_as(
            &editor,
            "mutation($i: DeleteInput!) { deleteRole(input: $i) { deletedId } }",
            json!({ "i": { "id": blocker } }),
        )
        .await;
    assert_eq!(body["data"]["deleteRole"]["deletedId"], blocker);

    // The next start tries again, though the posts are there already.
    assert_eq!(
        seed_demo(&app.pool).await.unwrap(),
        SeedOutcome::AlreadyHasContent
    );
    let seeded = app.data(counts, json!({})).await;
    assert_eq!(seeded["guides"]["totalCount"], 2, "{seeded}");
    assert!(
        seeded["skills"]["totalCount"].as_i64().unwrap() >= 20,
        "{seeded}"
    );
    let (_, page) = guide_page(&app, "back-end-engineering").await;
    assert_eq!(page["guide"]["skills"].as_array().unwrap().len(), 20);

    // Seeding again changes nothing.
    assert_eq!(
        seed_demo(&app.pool).await.unwrap(),
        SeedOutcome::AlreadyHasContent
    );
    assert_eq!(app.data(counts, json!({})).await, seeded);
}
