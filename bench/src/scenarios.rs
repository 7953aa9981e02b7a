//! What each scenario sends: one request shape whose variables rotate over a
//! list of values, built once here and handed to both load generators (the
//! in-process one and wrk, through a Lua script), so that the two send the
//! same bytes.

use anyhow::{Context, bail};
use clap::ValueEnum;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use waypost_domain::demo::topic_word;

/// Replaced by the scenario's rotating value: the variables as JSON in a
/// POST body, URL-encoded in a GET's query string.
pub const VALUE: &str = "__VALUE__";
/// Replaced by a commenter's number, per request (`addComment`).
pub const READER: &str = "__READER__";
/// Replaced by a token no other request of the run carries (`addComment`).
pub const UNIQUE: &str = "__UNIQUE__";

/// Benchmark topics (see `waypost_domain::demo`): one search a topic.
const TOPICS: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum ScenarioName {
    /// `GET /healthz`: the floor, no GraphQL.
    Healthz,
    /// `{ __typename }` over POST: GraphQL with no resolver.
    Typename,
    /// (a) the article's full page: post, author, tags, previous and next,
    /// 5 similar posts, the first 20 comments with two levels of replies.
    Article,
    /// (b) the basic post page: post, author, tags.
    Post,
    /// (c) the home page: 20 newest posts with author, tags, comment count.
    Home,
    /// (d) search, first 10 of about 55 matches.
    Search,
    /// (d) with the topic's word being typed: its first five letters last.
    SearchPrefix,
    /// (d) with the topic's word misspelt: two neighbouring letters swapped.
    SearchTypo,
    /// (a) as an automatic persisted query over GET, warm.
    ArticleApq,
    /// (b) over APQ GET, warm.
    PostApq,
    /// (c) over APQ GET, warm.
    HomeApq,
    /// (d) over APQ GET, warm.
    SearchApq,
    /// (e) `addComment` by a returning (trusted) commenter, half of them replies.
    AddComment,
}

impl ScenarioName {
    pub const ALL: [ScenarioName; 13] = [
        ScenarioName::Healthz,
        ScenarioName::Typename,
        ScenarioName::Article,
        ScenarioName::Post,
        ScenarioName::Home,
        ScenarioName::Search,
        ScenarioName::SearchPrefix,
        ScenarioName::SearchTypo,
        ScenarioName::ArticleApq,
        ScenarioName::PostApq,
        ScenarioName::HomeApq,
        ScenarioName::SearchApq,
        ScenarioName::AddComment,
    ];

    /// The name on the command line and in results.
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioName::Healthz => "healthz",
            ScenarioName::Typename => "typename",
            ScenarioName::Article => "article",
            ScenarioName::Post => "post",
            ScenarioName::Home => "home",
            ScenarioName::Search => "search",
            ScenarioName::SearchPrefix => "search-prefix",
            ScenarioName::SearchTypo => "search-typo",
            ScenarioName::ArticleApq => "article-apq",
            ScenarioName::PostApq => "post-apq",
            ScenarioName::HomeApq => "home-apq",
            ScenarioName::SearchApq => "search-apq",
            ScenarioName::AddComment => "add-comment",
        }
    }

    /// The row label of the results table.
    pub fn describe(self) -> &'static str {
        match self {
            ScenarioName::Healthz => "GET /healthz",
            ScenarioName::Typename => "{ __typename }",
            ScenarioName::Article => "(a) article page, POST, uncached",
            ScenarioName::Post => "(b) post page, POST, uncached",
            ScenarioName::Home => "(c) home page, POST, uncached",
            ScenarioName::Search => "(d) search, POST, uncached",
            ScenarioName::SearchPrefix => "(d) search, a word being typed, POST, uncached",
            ScenarioName::SearchTypo => "(d) search, a misspelt word, POST, uncached",
            ScenarioName::ArticleApq => "(a) article page, APQ GET, warm",
            ScenarioName::PostApq => "(b) post page, APQ GET, warm",
            ScenarioName::HomeApq => "(c) home page, APQ GET, warm",
            ScenarioName::SearchApq => "(d) search, APQ GET, warm",
            ScenarioName::AddComment => "(e) addComment",
        }
    }

    /// Whether Waypost runs it with its answer cache on: the warm
    /// scenarios, and `addComment`, whose invalidations are part of the
    /// write path. The floors and the uncached scenarios run with it off.
    pub fn cached(self) -> bool {
        self.apq() || self == ScenarioName::AddComment
    }

    fn apq(self) -> bool {
        matches!(
            self,
            ScenarioName::ArticleApq
                | ScenarioName::PostApq
                | ScenarioName::HomeApq
                | ScenarioName::SearchApq
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// What makes an answer a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Status 200.
    Status,
    /// Status 200 and a GraphQL answer without errors.
    Graphql,
    /// As `Graphql`, and a mutation payload whose `userErrors` is empty.
    Mutation,
}

/// One scenario's requests: `path` and `body` with [`VALUE`] replaced by
/// each of `values` in turn (a single request when there are none).
#[derive(Debug, Clone)]
pub struct Plan {
    pub name: ScenarioName,
    pub method: Method,
    pub path: String,
    pub body: Option<String>,
    pub values: Vec<String>,
    /// Each request also gets a commenter ([`READER`] below `commenters`), a
    /// token of its own ([`UNIQUE`]) and a client address of its own in
    /// `X-Forwarded-For`.
    pub unique: bool,
    pub commenters: usize,
    pub check: Check,
    /// For APQ: the POST that registers the query text under its hash.
    pub register: Option<String>,
}

impl Plan {
    /// How many distinct requests the plan rotates over.
    pub fn len(&self) -> usize {
        self.values.len().max(1)
    }

    /// Request `i` (modulo [`Plan::len`]), as (path, body), built when
    /// asked for: 200,000 article pages would be 260 MB built ahead.
    pub fn request(&self, i: usize) -> (String, Option<String>) {
        let value = self.values.get(i % self.len()).map_or("", String::as_str);
        (
            self.path.replace(VALUE, value),
            self.body.as_ref().map(|b| b.replace(VALUE, value)),
        )
    }

    /// Every distinct request.
    pub fn expand(&self) -> impl Iterator<Item = (String, Option<String>)> + '_ {
        (0..self.len()).map(|i| self.request(i))
    }
}

/// Which queries a scenario sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QuerySet {
    Waypost,
    /// PostGraphile's equivalents of (b) and (c), on the same tables.
    Postgraphile,
}

/// The query texts, as files beside this crate.
pub struct Query {
    pub operation: Option<&'static str>,
    pub text: &'static str,
}

const ARTICLE: Query = Query {
    operation: Some("Article"),
    text: include_str!("../queries/article.graphql"),
};
const POST: Query = Query {
    operation: Some("PostPage"),
    text: include_str!("../queries/post.graphql"),
};
const HOME: Query = Query {
    operation: Some("Home"),
    text: include_str!("../queries/home.graphql"),
};
const SEARCH: Query = Query {
    operation: Some("Search"),
    text: include_str!("../queries/search.graphql"),
};
const TYPENAME: Query = Query {
    operation: None,
    text: include_str!("../queries/typename.graphql"),
};
pub const ADD_COMMENT: Query = Query {
    operation: Some("AddComment"),
    text: include_str!("../queries/add-comment.graphql"),
};
const PG_POST: Query = Query {
    operation: Some("PostPage"),
    text: include_str!("../queries/postgraphile-post-page.graphql"),
};
const PG_HOME: Query = Query {
    operation: Some("Latest"),
    text: include_str!("../queries/postgraphile-latest.graphql"),
};

/// The variables each scenario rotates over.
pub struct Rotation {
    /// Posts of the uncached scenarios: all of them.
    pub posts: usize,
    /// Posts of the warm APQ scenarios: the newest, which readers read most.
    pub hot_pages: usize,
}

impl Rotation {
    fn slugs(&self, apq: bool) -> Vec<Value> {
        let n = if apq {
            self.hot_pages.min(self.posts)
        } else {
            self.posts
        };
        (0..n)
            .map(|i| json!({ "slug": format!("benchmark-post-{i}") }))
            .collect()
    }

    /// A word of one topic (a fortieth of the posts), a word a third of the
    /// posts use, and an excluded one: about 55 of 10,000 posts match.
    /// `typed` gives the form the topic's word is written in, and whether
    /// it comes last (where it is the word being typed).
    fn searches(typed: fn(&str) -> (String, bool)) -> Vec<Value> {
        (0..TOPICS)
            .map(|t| {
                let (word, last) = typed(&topic_word(t, 5));
                let query = if last {
                    format!("replica -token {word}")
                } else {
                    format!("{word} replica -token")
                };
                json!({ "query": query })
            })
            .collect()
    }
}

/// The query of a scenario in a query set, with the variables it rotates.
fn query_of(
    name: ScenarioName,
    set: QuerySet,
    rotation: &Rotation,
) -> anyhow::Result<(&'static Query, Vec<Value>)> {
    let apq = name.apq();
    Ok(match (set, name) {
        (_, ScenarioName::Typename) => (&TYPENAME, Vec::new()),
        (QuerySet::Waypost, ScenarioName::Article | ScenarioName::ArticleApq) => {
            (&ARTICLE, rotation.slugs(apq))
        }
        (QuerySet::Waypost, ScenarioName::Post | ScenarioName::PostApq) => {
            (&POST, rotation.slugs(apq))
        }
        (QuerySet::Waypost, ScenarioName::Home | ScenarioName::HomeApq) => (&HOME, Vec::new()),
        (QuerySet::Waypost, ScenarioName::Search | ScenarioName::SearchApq) => {
            (&SEARCH, Rotation::searches(|word| (word.to_owned(), false)))
        }
        (QuerySet::Waypost, ScenarioName::SearchPrefix) => (
            &SEARCH,
            Rotation::searches(|word| (word.chars().take(5).collect(), true)),
        ),
        (QuerySet::Waypost, ScenarioName::SearchTypo) => (
            &SEARCH,
            Rotation::searches(|word| {
                let mut letters: Vec<char> = word.chars().collect();
                let middle = letters.len() / 2;
                let at = middle.saturating_sub(1);
                if at + 1 < letters.len() {
                    letters.swap(at, at + 1);
                }
                (letters.into_iter().collect(), false)
            }),
        ),
        (QuerySet::Postgraphile, ScenarioName::Post) => (&PG_POST, rotation.slugs(false)),
        (QuerySet::Postgraphile, ScenarioName::Home) => (&PG_HOME, Vec::new()),
        (_, other) => bail!(
            "scenario {} has no query in the {set:?} set",
            other.as_str()
        ),
    })
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A POST body with the variables left as [`VALUE`].
fn post_body(query: &Query, extensions: Option<&Value>) -> anyhow::Result<String> {
    let mut body = format!("{{\"query\":{}", serde_json::to_string(query.text)?);
    if let Some(name) = query.operation {
        body.push_str(&format!(
            ",\"operationName\":{}",
            serde_json::to_string(name)?
        ));
    }
    if let Some(extensions) = extensions {
        body.push_str(&format!(",\"extensions\":{extensions}"));
    }
    body.push_str(&format!(",\"variables\":{VALUE}}}"));
    Ok(body)
}

/// The plan of a read scenario: a POST with the query text, or Apollo's
/// persisted-query GET (`operationName`, `variables` and `extensions` in
/// the query string) after one registering POST.
pub fn read_plan(name: ScenarioName, set: QuerySet, rotation: &Rotation) -> anyhow::Result<Plan> {
    if name == ScenarioName::Healthz {
        return Ok(Plan {
            name,
            method: Method::Get,
            path: "/healthz".to_owned(),
            body: None,
            values: Vec::new(),
            unique: false,
            commenters: 0,
            check: Check::Status,
            register: None,
        });
    }
    let (query, variables) = query_of(name, set, rotation)?;
    let variables = if variables.is_empty() {
        vec![json!({})]
    } else {
        variables
    };
    if !name.apq() {
        return Ok(Plan {
            name,
            method: Method::Post,
            path: "/graphql".to_owned(),
            body: Some(post_body(query, None)?),
            values: variables
                .iter()
                .map(serde_json::to_string)
                .collect::<Result<_, _>>()?,
            unique: false,
            commenters: 0,
            check: Check::Graphql,
            register: None,
        });
    }
    let extensions =
        json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(query.text) } });
    let register = post_body(query, Some(&extensions))?.replace(VALUE, &variables[0].to_string());
    let mut path = "/graphql?".to_owned();
    if let Some(name) = query.operation {
        path.push_str(&format!("operationName={}&", urlencode(name)));
    }
    path.push_str(&format!(
        "variables={VALUE}&extensions={}",
        urlencode(&extensions.to_string())
    ));
    Ok(Plan {
        name,
        method: Method::Get,
        path,
        body: None,
        values: variables
            .iter()
            .map(|v| urlencode(&v.to_string()))
            .collect(),
        unique: false,
        commenters: 0,
        check: Check::Graphql,
        register: Some(register),
    })
}

/// Where new comments go: a post, and an approved comment on it to answer.
#[derive(Debug, Clone)]
pub struct CommentTarget {
    pub post_id: String,
    pub parent_id: Option<String>,
}

/// The plan of `addComment`: each target twice, once starting a thread
/// and once answering its comment; each request from another of the
/// benchmark's trusted commenters, with a body no other request sends.
pub fn add_comment_plan(targets: &[CommentTarget], commenters: usize) -> anyhow::Result<Plan> {
    let mut values = Vec::new();
    for target in targets {
        let parents = std::iter::once(None).chain(target.parent_id.iter().map(Some));
        for parent in parents {
            let mut input = json!({
                "postId": target.post_id,
                "authorName": format!("Reader {READER}"),
                "authorEmail": format!("reader-{READER}@example.com"),
                "body": format!("A new thought ({UNIQUE}): the write path, measured."),
            });
            if let (Some(parent), Some(fields)) = (parent, input.as_object_mut()) {
                fields.insert("parentId".to_owned(), json!(parent));
            }
            values.push(json!({ "input": input }).to_string());
        }
    }
    if values.is_empty() {
        bail!("no post to comment on");
    }
    Ok(Plan {
        name: ScenarioName::AddComment,
        method: Method::Post,
        path: "/graphql".to_owned(),
        body: Some(post_body(&ADD_COMMENT, None)?),
        values,
        unique: true,
        commenters: commenters.max(1),
        check: Check::Mutation,
        register: None,
    })
}

/// Looks for the problem in an answer: `None` when it is a success.
pub fn failure(check: Check, status: u16, body: &[u8]) -> Option<String> {
    let text = || String::from_utf8_lossy(&body[..body.len().min(400)]).into_owned();
    if status != 200 {
        return Some(format!("HTTP {status}: {}", text()));
    }
    if check == Check::Status {
        return None;
    }
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(parsed) => parsed,
        Err(err) => return Some(format!("not JSON ({err}): {}", text())),
    };
    if parsed.get("errors").is_some() || parsed["data"].is_null() {
        return Some(text());
    }
    if check == Check::Mutation
        && parsed["data"]
            .as_object()
            .and_then(|data| data.values().next())
            .and_then(|payload| payload["userErrors"].as_array())
            .is_none_or(|errors| !errors.is_empty())
    {
        return Some(text());
    }
    None
}

/// `failure` as an error that names the scenario.
pub fn describe_failure(plan: &Plan, status: u16, body: &[u8]) -> anyhow::Result<()> {
    match failure(plan.check, status, body) {
        None => Ok(()),
        Some(problem) => Err(anyhow::anyhow!(problem))
            .with_context(|| format!("scenario {} failed", plan.name.as_str())),
    }
}
