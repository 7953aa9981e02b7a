//! Career-path guides through the API, on both backends: the guide page and
//! its statement count, lists, the planner, and the editors' mutations.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use waypost_db::Role;
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(
    a_guide_page_runs_a_fixed_number_of_statements,
    lists_page_filter_and_refuse_bad_input,
    the_planner_finds_the_shortest_path_and_the_gaps,
    roles_are_recommended_by_coverage,
    the_catalogue_is_for_editors_and_guides_follow_the_post_rules,
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

async fn a_guide_page_runs_a_fixed_number_of_statements(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (statements, data) = app
        .statements_during(app.data(GUIDE_PAGE, json!({ "slug": "back-end-engineering" })))
        .await;
    let guide = &data["guide"];
    assert_eq!(guide["field"], "Back-end engineering");
    assert_eq!(guide["status"], "PUBLISHED");
    assert_eq!(guide["reasons"].as_array().unwrap().len(), 4);
    assert!(!guide["sections"][0]["html"].as_str().unwrap().is_empty());
    let skills = guide["skills"].as_array().unwrap();
    assert!(skills.len() >= 12, "{} skills", skills.len());
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
    // guide; its skills, their rows, their relations; its roles, their
    // requirements, the required skills, their next roles, those roles;
    // its related posts and their rows: 11. One fewer when every skill the
    // roles require is already in the loader's cache as one of the guide's
    // own skills, which depends on which of two concurrent reads finishes
    // first; never more, whatever the guide's size.
    let page = 10..=11;
    assert!(page.contains(&statements), "the guide page: {statements}");

    // A smaller guide asks no more: the count follows the shape. (It may
    // ask one fewer: when every skill its roles require was already read
    // as one of its own skills, that level finds them all loaded.)
    let (smaller, data) = app
        .statements_during(app.data(GUIDE_PAGE, json!({ "slug": "front-end-engineering" })))
        .await;
    assert!(
        data["guide"]["skills"].as_array().unwrap().len() < skills.len(),
        "the front-end guide is smaller"
    );
    assert!(page.contains(&smaller), "{smaller} statements");
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

async fn the_catalogue_is_for_editors_and_guides_follow_the_post_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = app.editor_token().await;
    let amara = sign_in_as(
        &app,
        "amara@example.com",
        Role::Author,
        Some("amara-okafor"),
    )
    .await;
    let tomas = sign_in_as(
        &app,
        "tomas@example.com",
        Role::Author,
        Some("tomas-lindqvist"),
    )
    .await;
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
        json!([{ "field": "slug", "code": "FORBIDDEN" }, { "field": "relatedPosts", "code": "BAD_USER_INPUT" }]),
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
