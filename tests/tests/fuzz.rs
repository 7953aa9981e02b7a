//! Fuzzing GraphQL over HTTP: every seed of `tests/fuzz-corpus/`, a fixed
//! number of deterministic mutations of them, and raw bodies of every shape,
//! thrown at POST /graphql, anonymously and as an editor. Whatever comes in,
//! the server answers (no panic, no dropped connection, no hang), never with
//! a 5xx, always with JSON whose errors carry a known `extensions.code` other
//! than INTERNAL and say nothing of the server's insides.
//!
//! A seed ending in `.graphql` is a query document, sent as `{"query": ...}`;
//! one ending in `.json` is a request body, sent byte for byte. The seed of
//! the mutations is fixed so that CI is reproducible; `WAYPOST_FUZZ_SEED` and
//! `WAYPOST_FUZZ_CASES` pick others when hunting for bugs, and
//! `WAYPOST_FUZZ_DUMP=<dir>` saves the body of each bad answer's request.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde_json::{Map, Value, json};
use waypost_domain::ErrorCode;
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(fuzzed_requests_get_coded_json_answers);

/// Mutated requests per run.
const MUTATIONS: usize = 300;
/// Random raw bodies per run, besides the fixed hostile ones.
const RAW: usize = 60;
/// The seed CI runs with.
const SEED: u64 = 0x5741_5950_4f53_5431;
/// Longer than any honest request takes here; a hang is a finding.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

const EDITOR_EMAIL: &str = "fuzz-editor@example.com";
const EDITOR_PASSWORD: &str = "fuzzing is a kind of reading";

/// Panics anywhere in the process, the server's tasks included: tokio keeps
/// a panicking connection task from taking the server down, so a panic may
/// otherwise show only as a dropped connection, or not at all.
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // A test's own failed assertion (under `cargo test`, the other
            // backend's, in the same process) is not the server's panic.
            let on_test_thread = std::thread::current()
                .name()
                .is_some_and(|name| name.ends_with("fuzzed_requests_get_coded_json_answers"));
            if !on_test_thread {
                PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

async fn fuzzed_requests_get_coded_json_answers(backend: Backend) {
    count_panics();
    let started = Instant::now();
    let seed = env_number("WAYPOST_FUZZ_SEED").unwrap_or(SEED);
    let mutations = env_number("WAYPOST_FUZZ_CASES").map_or(MUTATIONS, |n| n as usize);
    let corpus = load_corpus();
    assert!(
        corpus.len() >= 20,
        "the corpus holds {} seeds",
        corpus.len()
    );

    let mut probes = Vec::new();
    for entry in &corpus {
        for editor in [false, true] {
            let mut probe = Probe::json(format!("seed {}", entry.name), entry.body.clone());
            probe.editor = editor;
            probes.push(probe);
        }
    }
    let mut rng = Rng::new(seed);
    for i in 0..mutations {
        probes.push(mutated(&mut rng, &corpus, i));
    }
    probes.extend(hostile_raw_bodies());
    for i in 0..RAW {
        probes.push(random_raw(&mut rng, i));
    }

    let app = TestApp::spawn(backend).await;
    app.create_user(
        EDITOR_EMAIL,
        EDITOR_PASSWORD,
        waypost_db::Role::Editor,
        None,
    )
    .await;
    let mut token = sign_in(&app).await;

    let mut findings = Vec::new();
    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    for (n, probe) in probes.iter().enumerate() {
        // Printed before sending, so that a crash of the whole process (a
        // stack overflow, say) still names its input.
        eprintln!("fuzz {n}: {} ({} bytes)", probe.label, probe.body.len());
        let bearer = if probe.editor { token.as_deref() } else { None };
        let panics_before = PANICS.load(Ordering::SeqCst);
        let outcome = send(&app, probe, bearer).await;
        let panicked = PANICS.load(Ordering::SeqCst) - panics_before;
        let mut problems = Vec::new();
        if panicked > 0 {
            problems.push(format!("{panicked} panic(s) while it ran"));
        }
        match &outcome {
            Err(err) => problems.push(err.clone()),
            Ok(answer) => {
                problems.extend(check(probe, answer, &mut tally));
                // A sign-out or a disabled session ends the editor's token.
                if probe.editor && answer.status == 401 {
                    token = sign_in(&app).await;
                }
            }
        }
        if !problems.is_empty() {
            findings.push(report(n, probe, outcome.as_ref().ok(), &problems));
            // To promote a finding into the corpus, or replay it by hand.
            if let Ok(dir) = std::env::var("WAYPOST_FUZZ_DUMP") {
                let path = Path::new(&dir).join(format!("{backend:?}-{n}.body"));
                std::fs::write(&path, &probe.body).unwrap();
            }
        }
    }

    // Still serving after all that.
    let alive = app
        .data("{ posts(first: 1) { totalCount } }", json!({}))
        .await;
    assert!(alive["posts"]["totalCount"].is_number(), "{alive}");

    eprintln!(
        "fuzzed {} requests on {backend:?} in {:.1?} (seed {seed:#x}); statuses and codes: {tally:?}",
        probes.len(),
        started.elapsed()
    );
    assert!(
        findings.is_empty(),
        "{} of {} fuzzed requests got a bad answer on {backend:?} (seed {seed:#x}):\n\n{}",
        findings.len(),
        probes.len(),
        findings.join("\n\n")
    );
}

fn env_number(name: &str) -> Option<u64> {
    let raw = std::env::var(name).ok()?;
    let raw = raw.trim();
    match raw.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => raw.parse().ok(),
    }
}

/// One seed: a request body, byte for byte.
struct Seed {
    name: String,
    body: Vec<u8>,
}

fn load_corpus() -> Vec<Seed> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz-corpus");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| {
            let name = path.file_name()?.to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap();
            let body = match path.extension()?.to_str()? {
                "json" => bytes,
                "graphql" => {
                    let query = String::from_utf8(bytes)
                        .unwrap_or_else(|_| panic!("{name} is not UTF-8; make it a .json body"));
                    serde_json::to_vec(&json!({ "query": query })).unwrap()
                }
                _ => return None,
            };
            Some(Seed { name, body })
        })
        .collect()
}

/// One request to throw at the server.
struct Probe {
    label: String,
    body: Vec<u8>,
    content_type: Option<&'static str>,
    accept: Option<&'static str>,
    /// Sent as the editor, with a live session token.
    editor: bool,
    /// A raw `Authorization` header instead.
    authorization: Option<Vec<u8>>,
}

impl Probe {
    fn json(label: String, body: Vec<u8>) -> Probe {
        Probe {
            label,
            body,
            content_type: Some("application/json"),
            accept: None,
            editor: false,
            authorization: None,
        }
    }
}

/// What came back.
struct Answer {
    status: u16,
    content_type: Option<String>,
    body: Vec<u8>,
}

async fn send(app: &TestApp, probe: &Probe, bearer: Option<&str>) -> Result<Answer, String> {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .body(probe.body.clone());
    if let Some(content_type) = probe.content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    if let Some(accept) = probe.accept {
        request = request.header(ACCEPT, accept);
    }
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    if let Some(raw) = &probe.authorization {
        request = request.header(AUTHORIZATION, HeaderValue::from_bytes(raw).unwrap());
    }
    let exchange = async {
        let response = request
            .send()
            .await
            .map_err(|e| format!("no answer: {e:?}"))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("the answer broke off: {e:?}"))?
            .to_vec();
        Ok(Answer {
            status,
            content_type,
            body,
        })
    };
    tokio::time::timeout(ANSWER_WITHIN, exchange)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {ANSWER_WITHIN:?}")))
}

async fn sign_in(app: &TestApp) -> Option<String> {
    let body = app
        .graphql(
            "mutation($i: SignInInput!) { signIn(input: $i) { token } }",
            json!({ "i": { "email": EDITOR_EMAIL, "password": EDITOR_PASSWORD } }),
        )
        .await;
    // Fuzzed sign-ins may have rate-limited this address; then the rest of
    // the run is anonymous, which is still a valid run.
    body["data"]["signIn"]["token"].as_str().map(str::to_owned)
}

/// Everything wrong with an answer; empty when it is a good one.
fn check(probe: &Probe, answer: &Answer, tally: &mut BTreeMap<String, usize>) -> Vec<String> {
    let mut problems = Vec::new();
    *tally.entry(answer.status.to_string()).or_default() += 1;
    if answer.status >= 500 {
        problems.push(format!("status {}", answer.status));
    }
    let media = answer
        .content_type
        .as_deref()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media != "application/json" && media != "application/graphql-response+json" {
        problems.push(format!("content type {:?}", answer.content_type));
    }
    let body: Value = match serde_json::from_slice(&answer.body) {
        Ok(body) => body,
        Err(e) => {
            problems.push(format!("the body is not JSON ({e})"));
            return problems;
        }
    };
    let request = request_text(&probe.body);
    let responses = match &body {
        // A batch answers with one response per operation.
        Value::Array(items) if !items.is_empty() => items.iter().collect(),
        _ => vec![&body],
    };
    if answer.status >= 400 && body.get("errors").is_none() {
        problems.push(format!("status {} without errors", answer.status));
    }
    for response in responses {
        check_response(response, &request, tally, &mut problems);
    }
    problems
}

fn check_response(
    response: &Value,
    request: &str,
    tally: &mut BTreeMap<String, usize>,
    problems: &mut Vec<String>,
) {
    let Some(object) = response.as_object() else {
        problems.push("a response that is not a JSON object".to_owned());
        return;
    };
    if let Some(key) = object
        .keys()
        .find(|k| !["data", "errors", "extensions"].contains(&k.as_str()))
    {
        problems.push(format!("unexpected top-level key {key:?}"));
    }
    if !object.contains_key("data") && !object.contains_key("errors") {
        problems.push("neither `data` nor `errors`".to_owned());
    }
    if !matches!(
        object.get("data"),
        None | Some(Value::Null | Value::Object(_))
    ) {
        problems.push("`data` is neither an object nor null".to_owned());
    }
    let Some(errors) = object.get("errors") else {
        return;
    };
    let Some(errors) = errors.as_array().filter(|e| !e.is_empty()) else {
        problems.push("`errors` is not a non-empty list".to_owned());
        return;
    };
    for error in errors {
        match error["message"].as_str() {
            Some(message) if !message.is_empty() => {
                if let Some(leak) = leak(message, request) {
                    problems.push(format!("message leaks {leak:?}: {message:?}"));
                }
            }
            _ => problems.push(format!("an error without a message: {error}")),
        }
        match error["extensions"]["code"].as_str() {
            Some(code) if ErrorCode::parse(code).is_some() => {
                *tally.entry(code.to_owned()).or_default() += 1;
                if ErrorCode::parse(code) == Some(ErrorCode::Internal) {
                    problems.push(format!("INTERNAL error: {error}"));
                }
            }
            Some(code) => problems.push(format!("unknown code {code:?}: {error}")),
            None => problems.push(format!("an error without extensions.code: {error}")),
        }
        let mut texts = Vec::new();
        strings(&error["extensions"], &mut texts);
        for text in texts {
            if let Some(leak) = leak(text, request) {
                problems.push(format!("extensions leak {leak:?}: {text:?}"));
            }
        }
    }
}

/// The request as text, for telling an echo of the client's own input from
/// a leak: the raw body and every string in it, unescaped.
fn request_text(body: &[u8]) -> String {
    let mut text = String::from_utf8_lossy(body).into_owned();
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        let mut found = Vec::new();
        strings(&value, &mut found);
        for s in found {
            text.push('\n');
            text.push_str(s);
        }
    }
    text.to_ascii_lowercase()
}

fn strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(fields) => {
            for (key, v) in fields {
                out.push(key);
                strings(v, out);
            }
        }
        _ => {}
    }
}

/// Words that belong to the server's insides: SQL, the database and its
/// driver, source paths, Rust paths and panics. Upper-case SQL is matched as
/// written (GraphQL's own messages use no such words); the rest in any case.
const SQL: &[&str] = &[
    "SELECT ",
    "INSERT INTO",
    "UPDATE \"",
    "DELETE FROM",
    " FROM \"",
    "WHERE ",
    "RETURNING",
    "SQLSTATE",
];
const INSIDES: &[&str] = &[
    "diesel",
    "sqlite",
    "postgres",
    "violates",
    "constraint",
    "no such table",
    "no such column",
    "syntax error at",
    "database is locked",
    "deadpool",
    "tokio",
    "serde",
    "hyper",
    "axum",
    "/src/",
    ".rs:",
    "waypost_",
    "::",
    "panicked",
    "unwrap()",
    "backtrace",
];

/// The first inside word in `text` that is not an echo of the request. An
/// echo (`Unknown field "sqlite"`) repeats a whole token of what the client
/// sent; a leak brings words of its own.
fn leak(text: &str, request: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    let hits = SQL
        .iter()
        .flat_map(|m| text.match_indices(m).map(move |(i, _)| (*m, i)))
        .chain(INSIDES.iter().flat_map(|m| {
            lower
                .match_indices(&m.to_ascii_lowercase())
                .map(move |(i, _)| (*m, i))
                .collect::<Vec<_>>()
        }))
        .collect::<Vec<_>>();
    hits.into_iter().find_map(|(marker, at)| {
        let token = token_around(&lower, at, at + marker.len());
        (!contains_token(request, token)).then_some(marker)
    })
}

/// Whether `token` occurs in `text` as a whole word: `diesel` echoes a
/// request that says `diesel`, not one that says `diesel_x`.
fn contains_token(text: &str, token: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let (Some(first), Some(last)) = (token.chars().next(), token.chars().last()) else {
        return true;
    };
    text.match_indices(token).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + token.len()..].chars().next();
        let joined_before = word(first) && before.is_some_and(word);
        let joined_after = word(last) && after.is_some_and(word);
        !joined_before && !joined_after
    })
}

/// The span from `start` to `end`, widened to the nearest delimiters.
fn token_around(text: &str, start: usize, end: usize) -> &str {
    let delimiter = |c: char| c.is_whitespace() || "\"'`(){}[],;".contains(c);
    let from = text[..start].rfind(delimiter).map_or(0, |i| {
        i + text[i..].chars().next().map_or(1, char::len_utf8)
    });
    let to = text[end..].find(delimiter).map_or(text.len(), |i| end + i);
    &text[from..to]
}

fn report(n: usize, probe: &Probe, answer: Option<&Answer>, problems: &[String]) -> String {
    let mut out = format!(
        "#{n} {}\n  request ({} bytes, content-type {:?}, accept {:?}, editor {}, authorization {:?}): {}",
        probe.label,
        probe.body.len(),
        probe.content_type,
        probe.accept,
        probe.editor,
        probe
            .authorization
            .as_ref()
            .map(|a| String::from_utf8_lossy(a).into_owned()),
        preview(&probe.body, 600),
    );
    if let Some(answer) = answer {
        out.push_str(&format!(
            "\n  answer: status {}, content-type {:?}: {}",
            answer.status,
            answer.content_type,
            preview(&answer.body, 1200)
        ));
    }
    for problem in problems {
        out.push_str(&format!("\n  - {problem}"));
    }
    out
}

fn preview(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]);
    let more = if bytes.len() > max { "…" } else { "" };
    format!("{text:?}{more}")
}

/// SplitMix64: small, fast and the same everywhere, so a seed names a run.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`; 0 when `n` is 0.
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Fragments of GraphQL, JSON and text that make parsers and resolvers work.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    "$",
    "@",
    "!",
    "\"",
    "\"\"\"",
    "\\",
    "\\u",
    "\\uD800",
    "\\u0000",
    "...",
    "#",
    ",",
    "=",
    "|",
    "&",
    "\n",
    "\t",
    "\u{0}",
    "\u{feff}",
    "\u{1F600}",
    "\u{202e}",
    "é",
    "query ",
    "mutation ",
    "subscription ",
    "fragment F on Post { ...F }",
    "...F",
    " on ",
    "__typename",
    "__schema { types { name fields { name } } }",
    "__type(name: \"Post\") { name }",
    "null",
    "true",
    "false",
    "-1",
    "0",
    "2147483647",
    "2147483648",
    "-2147483649",
    "99999999999999999999",
    "1e309",
    "-0.0",
    "NaN",
    "first: -1",
    "first: 101",
    "first: 100",
    "last: 100",
    "first: 2147483647",
    "after: \"x\"",
    "before: \"UG9zdDox\"",
    "preview: true",
    "id: \"UG9zdDox\"",
    "id: \"VGFnOjE=\"",
    "id: \"Q29tbWVudDox\"",
    "slug: \"\"",
    "$first",
    "$undefined",
    "$input",
    "@skip(if: true)",
    "@include(if: $x)",
    "@deprecated",
    "a: posts { totalCount }",
    "posts(first: 100) { nodes { similarPosts(first: 20) { post { title } } } }",
    "author { posts { nodes { author { name } } } }",
    "comments(first: 100) { nodes { replies(first: 100) { totalCount } } }",
    "search(query: \"\\\"\") { totalCount }",
    "search(query: \"-\") { totalCount }",
    "careerPath(from: \"back-end-developer\", to: \"back-end-developer\") { reason }",
    "status: TRASHED",
    "status: DRAFT",
    "orderBy: { field: TITLE }",
    "filter: { publishedAfter: \"0000-01-01T00:00:00Z\" }",
    "filter: { publishedBefore: \"+262143-12-31T23:59:59Z\" }",
    "' OR 1=1 --",
    "%",
    "_",
];

const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "100",
    "101",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "9223372036854775807",
    "99999999999999999999999",
    "1e309",
    "1.5",
    "-0",
    "00",
];

/// Changes `bytes` in one random way; `other` is another seed to splice in.
fn mutate_bytes(rng: &mut Rng, bytes: &mut Vec<u8>, other: &[u8]) {
    let len = bytes.len();
    match rng.below(10) {
        0 if len > 0 => {
            let i = rng.below(len);
            bytes[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            bytes[i] = *rng.pick(&[
                0u8, 0x7f, 0x80, 0xff, 0xc0, 0xed, b'"', b'\\', b'{', b'}', b'[', b'$', b'\n',
                b'0', b'9', b'-', b'#',
            ]);
        }
        2 | 3 => {
            let i = rng.below(len + 1);
            let token = rng.pick(TOKENS).as_bytes();
            bytes.splice(i..i, token.iter().copied());
        }
        4 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(64));
            bytes.drain(i..i + n);
        }
        5 if len > 0 => {
            // Repeats a slice: a few times, or very many (wide queries,
            // aliases by the hundred).
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(200));
            let copies = if rng.chance(15) {
                50 + rng.below(300)
            } else {
                1 + rng.below(3)
            };
            let piece: Vec<u8> = bytes[i..i + n].to_vec();
            let at = rng.below(len + 1);
            let repeated: Vec<u8> = piece.iter().copied().cycle().take(n * copies).collect();
            bytes.splice(at..at, repeated);
        }
        6 if len > 0 => bytes.truncate(rng.below(len)),
        7 if !other.is_empty() => {
            let keep = rng.below(len + 1);
            let from = rng.below(other.len());
            bytes.truncate(keep);
            bytes.extend_from_slice(&other[from..]);
        }
        8 => {
            // Swaps a run of digits for an awkward number.
            let digits: Vec<usize> = (0..len).filter(|&i| bytes[i].is_ascii_digit()).collect();
            if digits.is_empty() {
                return mutate_bytes(rng, bytes, other);
            }
            let start = *rng.pick(&digits);
            let end = (start..len)
                .find(|&i| !bytes[i].is_ascii_digit())
                .unwrap_or(len);
            let number = rng.pick(NUMBERS).as_bytes();
            bytes.splice(start..end, number.iter().copied());
        }
        _ => {
            // Nests a slice in braces, many levels deep.
            let i = rng.below(len + 1);
            let depth = 1 + rng.below(80);
            let open = rng
                .pick(&["{ a ", "{ ", "[", "{ posts { nodes { "])
                .as_bytes();
            let close = if open[0] == b'[' {
                b"]" as &[u8]
            } else {
                b" }"
            };
            let mut nested: Vec<u8> = open.repeat(depth);
            nested.extend(close.repeat(depth));
            bytes.splice(i..i, nested);
        }
    }
}

/// The operations of a seed body: `(query, variables, operationName)`.
fn operations(body: &[u8]) -> Vec<(String, Value, Value)> {
    let one = |v: &Value| {
        Some((
            v.get("query")?.as_str()?.to_owned(),
            v.get("variables").cloned().unwrap_or(Value::Null),
            v.get("operationName").cloned().unwrap_or(Value::Null),
        ))
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(items)) => items.iter().filter_map(one).collect(),
        Ok(value) => one(&value).into_iter().collect(),
        Err(_) => Vec::new(),
    }
}

/// Names of the variables a query declares or uses.
fn variable_names(query: &str) -> Vec<String> {
    let mut names: Vec<String> = query
        .split('$')
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

const KEYS: &[&str] = &[
    "postId",
    "parentId",
    "authorName",
    "authorEmail",
    "authorUrl",
    "body",
    "honeypot",
    "skill",
    "proficiency",
    "status",
    "field",
    "direction",
    "id",
    "ids",
    "title",
    "slug",
    "tagSlug",
    "authorSlug",
    "tagIds",
    "publishedAfter",
    "publishedBefore",
    "expectedVersion",
    "publishAt",
    "types",
    "changes",
    "email",
    "password",
    "role",
    "",
    "__proto__",
];

fn random_scalar(rng: &mut Rng) -> Value {
    match rng.below(24) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(false),
        3 => json!(0),
        4 => json!(-1),
        5 => json!(2_147_483_648_i64),
        6 => json!(-2_147_483_649_i64),
        7 => json!(u64::MAX),
        8 => json!(i64::MIN),
        9 => json!(1.5),
        10 => json!(1e308),
        11 => json!(""),
        12 => json!("x".repeat(1 + rng.below(20_000))),
        13 => json!("\u{0}\u{ffff}\u{1F600}\u{202e}é"),
        14 => json!(*rng.pick(&[
            "UG9zdDox",
            "VGFnOjE=",
            "Q29tbWVudDox",
            "Post:1",
            "UG9zdDotMQ==",
            "=="
        ])),
        15 => json!(*rng.pick(&[
            "2026-01-13T09:00:00Z",
            "0000-01-01T00:00:00Z",
            "+262143-12-31T23:59:59Z",
            "2026-13-45T25:61:61Z",
            "yesterday"
        ])),
        16 => json!(*rng.pick(&[
            "PUBLISHED",
            "DRAFT",
            "TRASHED",
            "SCHEDULED",
            "APPROVED",
            "SPAM",
            "ASC",
            "TITLE",
            "LANGUAGE",
            "ESSENTIAL",
            "ADMIN",
            "published"
        ])),
        17 => json!(*rng.pick(&[
            "back-end-developer",
            "principal-engineer",
            "python",
            "backend",
            "caching-without-regret",
            "priya-raman"
        ])),
        18 => json!("'; DROP TABLE posts; --"),
        19 => json!("fuzz@example.com"),
        20 => json!("https://example.com/\u{0}"),
        21 => json!(rng.next() as i64),
        22 => {
            let any = f64::from_bits(rng.next());
            json!(if any.is_finite() { any } else { 1e308 })
        }
        _ => json!(*rng.pick(TOKENS)),
    }
}

fn random_value(rng: &mut Rng, depth: usize) -> Value {
    if depth == 0 {
        return random_scalar(rng);
    }
    match rng.below(10) {
        0..=4 => random_scalar(rng),
        5 | 6 => Value::Array(
            (0..rng.below(5))
                .map(|_| random_value(rng, depth - 1))
                .collect(),
        ),
        7 | 8 => {
            let mut fields = Map::new();
            for _ in 0..rng.below(6) {
                fields.insert(rng.pick(KEYS).to_string(), random_value(rng, depth - 1));
            }
            Value::Object(fields)
        }
        _ => deep_value(rng),
    }
}

/// Objects and lists nested far past any sane input (past serde_json's
/// limit of 128, sometimes).
fn deep_value(rng: &mut Rng) -> Value {
    let mut value = random_scalar(rng);
    for _ in 0..1 + rng.below(160) {
        value = if rng.chance(50) {
            let mut fields = Map::new();
            fields.insert(rng.pick(KEYS).to_string(), value);
            Value::Object(fields)
        } else {
            json!([value])
        };
    }
    value
}

fn random_variables(rng: &mut Rng, query: &str, original: &Value) -> Value {
    match rng.below(10) {
        // Not an object at all.
        0 => random_value(rng, 2),
        // The original with one entry replaced or added.
        1..=4 => {
            let mut vars = original.as_object().cloned().unwrap_or_default();
            let names = variable_names(query);
            let name = if names.is_empty() || rng.chance(20) {
                rng.pick(KEYS).to_string()
            } else {
                rng.pick(&names).clone()
            };
            vars.insert(name, random_value(rng, 3));
            Value::Object(vars)
        }
        // A value for every variable the query names.
        _ => Value::Object(
            variable_names(query)
                .into_iter()
                .map(|name| (name, random_value(rng, 3)))
                .collect(),
        ),
    }
}

fn random_operation(rng: &mut Rng, corpus: &[Seed]) -> (String, Value, Value) {
    loop {
        let ops = operations(&rng.pick(corpus).body);
        if !ops.is_empty() {
            return rng.pick(&ops).clone();
        }
    }
}

const ACCEPTS: &[&str] = &[
    "application/json",
    "application/graphql-response+json",
    "application/graphql-response+json, application/json;q=0.9",
    "*/*",
    "text/html",
    "application/json;q=abc, application/graphql-response+json;q=NaN",
    "application/graphql-response+json;q=-1",
];

/// A mutated seed: its query text changed a few times, its variables,
/// operation name or extensions made up, or its raw bytes broken.
fn mutated(rng: &mut Rng, corpus: &[Seed], i: usize) -> Probe {
    let seed = rng.pick(corpus);
    let other = rng.pick(corpus);
    let (label, body) = match rng.below(10) {
        0..=4 => {
            let (query, variables, name) = match operations(&seed.body).as_slice() {
                [] => random_operation(rng, corpus),
                ops => rng.pick(ops).clone(),
            };
            let mut text = query.into_bytes();
            let other_query = random_operation(rng, corpus).0;
            for _ in 0..1 + rng.below(4) {
                mutate_bytes(rng, &mut text, other_query.as_bytes());
            }
            let query = String::from_utf8_lossy(&text).into_owned();
            let mut request = Map::new();
            request.insert("query".into(), json!(query));
            let variables = if rng.chance(40) {
                random_variables(rng, &query, &variables)
            } else {
                variables
            };
            if !variables.is_null() {
                request.insert("variables".into(), variables);
            }
            if rng.chance(15) {
                let name = match rng.below(4) {
                    0 => Value::Null,
                    1 => json!("Nope"),
                    2 => json!(""),
                    _ => random_value(rng, 1),
                };
                request.insert("operationName".into(), name);
            } else if !name.is_null() {
                request.insert("operationName".into(), name);
            }
            if rng.chance(10) {
                request.insert("extensions".into(), random_value(rng, 3));
            }
            let body = serde_json::to_vec(&Value::Object(request)).unwrap();
            (format!("query mutation {i} of {}", seed.name), body)
        }
        5 | 6 => {
            let mut body = seed.body.clone();
            for _ in 0..1 + rng.below(3) {
                mutate_bytes(rng, &mut body, &other.body);
            }
            (format!("byte mutation {i} of {}", seed.name), body)
        }
        7 => {
            // Only the variables change, to wrong types and deep nesting.
            let (query, variables, name) = random_operation(rng, corpus);
            let variables = random_variables(rng, &query, &variables);
            let body = serde_json::to_vec(
                &json!({ "query": query, "variables": variables, "operationName": name }),
            )
            .unwrap();
            (format!("variables mutation {i}"), body)
        }
        8 => {
            let mut query = random_operation(rng, corpus).0.into_bytes();
            let tail = random_operation(rng, corpus).0.into_bytes();
            let keep = rng.below(query.len() + 1);
            let from = rng.below(tail.len() + 1);
            query.truncate(keep);
            query.extend_from_slice(&tail[from..]);
            let body =
                serde_json::to_vec(&json!({ "query": String::from_utf8_lossy(&query) })).unwrap();
            (format!("splice {i}"), body)
        }
        _ => {
            // A batch, sometimes of a size the server refuses.
            let size = rng.below(13);
            let batch: Vec<Value> = (0..size)
                .map(|_| {
                    let (query, variables, name) = random_operation(rng, corpus);
                    let mut text = query.into_bytes();
                    if rng.chance(50) {
                        mutate_bytes(rng, &mut text, b"");
                    }
                    let variables = if rng.chance(30) {
                        random_variables(rng, "", &variables)
                    } else {
                        variables
                    };
                    json!({ "query": String::from_utf8_lossy(&text), "variables": variables, "operationName": name })
                })
                .collect();
            (
                format!("batch mutation {i} of {size}"),
                serde_json::to_vec(&batch).unwrap(),
            )
        }
    };
    let mut probe = Probe::json(label, body);
    probe.editor = rng.chance(30);
    if rng.chance(25) {
        probe.accept = Some(*rng.pick(ACCEPTS));
    }
    probe
}

/// Bodies and headers that are wrong before GraphQL even starts.
fn hostile_raw_bodies() -> Vec<Probe> {
    let typename = br#"{"query": "{ __typename }"}"#.to_vec();
    let ops = |n: usize| {
        serde_json::to_vec(&vec![
            json!({ "query": "{ posts(first: 1) { totalCount } }" });
            n
        ])
        .unwrap()
    };
    let mut deep_array = "[".repeat(20_000).into_bytes();
    deep_array.extend("]".repeat(20_000).into_bytes());
    let mut deep_object = br#"{"query": "{ __typename }", "variables": "#.to_vec();
    deep_object.extend(r#"{"a": "#.repeat(5_000).into_bytes());
    deep_object.extend(b"1");
    deep_object.extend("}".repeat(5_001).into_bytes());
    let padded = |n: usize| {
        serde_json::to_vec(&json!({ "query": format!("{}{{ __typename }}", " ".repeat(n)) }))
            .unwrap()
    };
    let comments = serde_json::to_vec(&json!({
        "query": format!("{}{{ __typename }}", "# a comment line\n".repeat(3_000))
    }))
    .unwrap();
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("empty body", Vec::new()),
        ("whitespace body", b" \n\t ".to_vec()),
        ("null", b"null".to_vec()),
        ("true", b"true".to_vec()),
        ("a number", b"42".to_vec()),
        ("a string", br#""{ posts { totalCount } }""#.to_vec()),
        ("empty batch", b"[]".to_vec()),
        ("batch of an empty object", b"[{}]".to_vec()),
        ("batch of numbers", b"[1, 2]".to_vec()),
        ("nested batch", br#"[[{"query": "{ __typename }"}]]"#.to_vec()),
        ("batch of 10", ops(10)),
        ("batch of 11", ops(11)),
        ("batch of 1000", ops(1000)),
        ("empty object", b"{}".to_vec()),
        ("null query", br#"{"query": null}"#.to_vec()),
        ("numeric query", br#"{"query": 1}"#.to_vec()),
        ("list query", br#"{"query": ["{ __typename }"]}"#.to_vec()),
        ("empty query", br#"{"query": ""}"#.to_vec()),
        ("list variables", br#"{"query": "{ __typename }", "variables": []}"#.to_vec()),
        ("string variables", br#"{"query": "query($n: Int) { posts(first: $n) { totalCount } }", "variables": "{\"n\": 1}"}"#.to_vec()),
        ("numeric operationName", br#"{"query": "{ __typename }", "operationName": 5}"#.to_vec()),
        ("string extensions", br#"{"query": "{ __typename }", "extensions": "x"}"#.to_vec()),
        ("persisted query", br#"{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "00"}}}"#.to_vec()),
        ("persisted query with query", br#"{"query": "{ __typename }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "zz"}}}"#.to_vec()),
        ("duplicate keys", br#"{"query": "{ __typename }", "query": "{ nope }"}"#.to_vec()),
        ("byte order mark", [b"\xef\xbb\xbf".as_slice(), &typename].concat()),
        ("trailing garbage", [typename.as_slice(), b" xyz"].concat()),
        ("NaN literal", br#"{"query": "query($n: Int) { posts(first: $n) { totalCount } }", "variables": {"n": NaN}}"#.to_vec()),
        ("huge exponent", br#"{"query": "query($n: Int) { posts(first: $n) { totalCount } }", "variables": {"n": 1e999999}}"#.to_vec()),
        ("lone surrogate", br#"{"query": "{ post(slug: \"\ud800\") { title } }"}"#.to_vec()),
        ("NUL escape", br#"{"query": "{ post(slug: \"\u0000\") { title } }"}"#.to_vec()),
        ("invalid UTF-8", b"{\"query\": \"{ post(slug: \\\"\xff\xc0\x80\\\") { title } }\"}".to_vec()),
        ("UTF-16 body", "{\"query\": \"{ __typename }\"}".encode_utf16().flat_map(u16::to_le_bytes).collect()),
        ("truncated", br#"{"query": "{ posts { totalCo"#.to_vec()),
        ("deep arrays", deep_array),
        ("deep variables", deep_object),
        ("query of 40 KB", padded(40 * 1024)),
        ("body of 1.5 MB", padded(1536 * 1024)),
        ("body of 3 MB", padded(3 * 1024 * 1024)),
        ("3000 comment lines", comments),
    ];
    let mut probes: Vec<Probe> = bodies
        .into_iter()
        .map(|(label, body)| Probe::json(format!("raw: {label}"), body))
        .collect();

    for content_type in [
        None,
        Some("text/plain"),
        Some("application/graphql"),
        Some("application/json; charset=utf-16"),
        Some("APPLICATION/JSON"),
        Some("application/jsonx"),
        Some("multipart/form-data; boundary=x"),
        Some("application/x-www-form-urlencoded"),
        Some(";;;"),
        Some("application/json, text/plain"),
    ] {
        let mut probe = Probe::json(
            format!("raw: content type {content_type:?}"),
            typename.clone(),
        );
        probe.content_type = content_type;
        probes.push(probe);
    }
    for accept in ACCEPTS {
        let mut probe = Probe::json(
            format!("raw: accept {accept:?} with a validation error"),
            br#"{"query": "{ nope }"}"#.to_vec(),
        );
        probe.accept = Some(*accept);
        probes.push(probe);
    }
    for authorization in [
        b"Bearer garbage".to_vec(),
        b"Bearer ".to_vec(),
        b"Bearer".to_vec(),
        b"Basic dXNlcjpwYXNz".to_vec(),
        b"bearer UG9zdDox".to_vec(),
        b"Bearer \xff\xfe".to_vec(),
        [b"Bearer ".as_slice(), &[b'a'; 8192]].concat(),
        b"Bearer a b c".to_vec(),
    ] {
        let mut probe = Probe::json(
            format!(
                "raw: authorization {:?}",
                String::from_utf8_lossy(&authorization[..authorization.len().min(20)])
            ),
            typename.clone(),
        );
        probe.authorization = Some(authorization);
        probes.push(probe);
    }
    probes
}

/// Random bytes and random JSON, under random content types.
fn random_raw(rng: &mut Rng, i: usize) -> Probe {
    let body = match rng.below(3) {
        0 => (0..rng.below(512)).map(|_| rng.next() as u8).collect(),
        1 => (0..rng.below(512))
            .map(|_| *rng.pick(b"{}[]():,\"\\$@!.# \nqueryabc01"))
            .collect(),
        _ => serde_json::to_vec(&random_value(rng, 4)).unwrap(),
    };
    let mut probe = Probe::json(format!("raw random {i}"), body);
    if rng.chance(20) {
        probe.content_type = *rng.pick(&[None, Some("text/plain"), Some("application/graphql")]);
    }
    if rng.chance(20) {
        probe.accept = Some(*rng.pick(ACCEPTS));
    }
    probe.editor = rng.chance(20);
    probe
}

#[test]
fn leaks_are_told_from_echoes() {
    let request = request_text(br#"{"query": "{ sqlite diesel_x }"}"#);
    // The client's own words coming back are no leak.
    for echo in [
        r#"Unknown field "sqlite" on type "Query". Did you mean "skill"?"#,
        r#"Unknown field "diesel_x""#,
        " --> 1:3\n  |\n1 | { sqlite diesel_x }\n  |   ^---\n  |\n  = expected selection",
        r#"Failed to parse "Int": Only integers from -2147483648 to 2147483647 are accepted."#,
        "`first` must be at most 100 (got 101)",
    ] {
        assert_eq!(leak(echo, &request), None, "{echo}");
    }
    for inside in [
        "error returned from database: no such table: posts",
        "invalid type: map, expected alloc::string::String",
        "called `Option::unwrap()` on a `None` value at crates/db/src/pool.rs:12:5",
        r#"SELECT "posts"."id" FROM "posts" WHERE slug = $1"#,
        r#"duplicate key value violates unique constraint "tags_slug_key""#,
        "query failed: invalid input syntax (diesel)",
        "unknown variant `X`, expected one of `Single`, `Batch` at waypost_gateway::http",
        "sqlite_master",
    ] {
        assert!(leak(inside, &request).is_some(), "{inside}");
    }
}

#[test]
fn the_mutator_is_deterministic() {
    let corpus = load_corpus();
    let bodies = |seed| {
        let mut rng = Rng::new(seed);
        (0..50)
            .map(|i| mutated(&mut rng, &corpus, i).body)
            .collect::<Vec<_>>()
    };
    assert_eq!(bodies(SEED), bodies(SEED));
    assert_ne!(bodies(SEED), bodies(SEED + 1));
}
