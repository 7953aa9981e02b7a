//! The `waypost` binary as an operator uses it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `work` to completion on a runtime of its own (the tests are plain
/// threads driving a child process).
fn block_on<F: std::future::Future>(work: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(work)
}

/// POSTs `query` to the server at `address`, with `headers`; the JSON answer.
async fn post_query(address: &str, query: &str, headers: &[(&str, &str)]) -> serde_json::Value {
    let mut request = reqwest::Client::new()
        .post(format!("http://{address}/graphql"))
        .json(&serde_json::json!({ "query": query }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().json().await.unwrap()
}

fn waypost() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_waypost"));
    // The operator's environment must not leak into these runs.
    for var in [
        "DATABASE_URL",
        "WAYPOST_BIND",
        "WAYPOST_LOG_FORMAT",
        "WAYPOST_SEED_DEMO",
        "WAYPOST_MODE",
        "WAYPOST_INTROSPECTION",
        "WAYPOST_DRAIN_SECONDS",
        "WAYPOST_DB_MAX_CONNECTIONS",
        "DATABASE_URL_FILE",
        "RUST_LOG",
        "WAYPOST_TRUSTED_DOCUMENTS",
        "WAYPOST_TRUSTED_ONLY",
    ] {
        command.env_remove(var);
    }
    command
}

#[test]
fn schema_file_matches_the_binary() {
    let output = waypost().arg("schema").output().unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema.graphql"))
            .unwrap();
    assert!(printed.contains("type Query"));
    assert_eq!(
        printed, committed,
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql`"
    );
}

#[test]
fn help_names_every_subcommand_and_its_environment() {
    let output = waypost().arg("--help").output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for word in [
        "serve",
        "migrate",
        "seed",
        "schema",
        "DATABASE_URL",
        "WAYPOST_LOG_FORMAT",
        "WAYPOST_BIND",
    ] {
        assert!(help.contains(word), "--help lacks {word}:\n{help}");
    }
}

#[test]
fn unreachable_database_is_one_clear_line() {
    let output = waypost()
        .arg("migrate")
        .env(
            "DATABASE_URL",
            "postgres://waypost:hunter2@127.0.0.1:1/waypost",
        )
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("127.0.0.1:1"), "{stderr}");
    assert!(lines[0].contains("***"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn unknown_database_scheme_is_refused() {
    let output = waypost()
        .arg("migrate")
        .env("DATABASE_URL", "mysql://root@localhost/db")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
}

fn seed_twice(url: &str) {
    let first = waypost()
        .arg("seed")
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = waypost()
        .arg("seed")
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(!second.status.success(), "a second seed must refuse");
    let stderr = String::from_utf8(second.stderr).unwrap();
    assert!(stderr.contains("refusing"), "{stderr}");
}

#[test]
fn seed_refuses_to_duplicate_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    seed_twice(&format!(
        "sqlite://{}",
        dir.path().join("seed.db").display()
    ));
}

#[test]
fn seed_creates_a_missing_postgres_database_and_refuses_to_duplicate() {
    if std::env::var("WAYPOST_TEST_BACKENDS").is_ok_and(|b| !b.contains("postgres")) {
        return;
    }
    let server = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("waypost_cli_{}", std::process::id());
    // A database left by an aborted run would make the first seed refuse.
    drop_database(&server, &name);
    seed_twice(&url_with_path(&server, &name));
    drop_database(&server, &name);
}

fn url_with_path(server: &str, name: &str) -> String {
    let (base, _) = server.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

fn drop_database(server: &str, name: &str) {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    block_on(async {
        let mut conn = AsyncPgConnection::establish(server).await.unwrap();
        conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await
            .unwrap();
    });
}

/// A running `waypost serve`, its address, and the JSON log lines it wrote
/// up to the line that names its address.
struct Server {
    child: std::process::Child,
    address: String,
    log: Vec<serde_json::Value>,
    /// Every line written after those, as it comes.
    later: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// Ends once the server has exited and its last line is in `later`.
    reader: std::thread::JoinHandle<()>,
}

fn start(mut command: Command) -> Server {
    let mut child = command
        .env("WAYPOST_BIND", "127.0.0.1:0")
        .env("WAYPOST_LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut log = Vec::new();
    let address = loop {
        assert!(Instant::now() < deadline, "server did not start");
        let line = lines.next().expect("server exited early").unwrap();
        let event: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        let message = event["message"].as_str().unwrap_or_default().to_owned();
        log.push(event);
        if message.starts_with("Waypost is serving")
            && let Some(rest) = message.split("http://").nth(1)
        {
            break rest.split('/').next().unwrap().to_owned();
        }
    };
    // Drain the log so the server never blocks on a full pipe.
    let later = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = later.clone();
    let reader = std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            keep.lock().unwrap().push(line);
        }
    });
    Server {
        child,
        address,
        log,
        later,
        reader,
    }
}

#[test]
fn serve_answers_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut serve = waypost();
    serve.env(
        "DATABASE_URL",
        format!("sqlite://{}", dir.path().join("serve.db").display()),
    );
    let Server {
        child,
        address,
        later,
        reader,
        ..
    } = start(serve);

    block_on(async {
        let client = reqwest::Client::new();
        let page = client
            .get(format!("http://{address}/"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let body = post_query(
            &address,
            "{ posts { totalCount } }",
            &[(
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            )],
        )
        .await;
        assert_eq!(
            body["data"]["posts"]["totalCount"], 12,
            "demo content was loaded: {body}"
        );
    });
    stop(child);
    reader.join().unwrap();
    // The request's line names the caller's trace and address.
    let lines = later.lock().unwrap();
    let line = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["message"] == "graphql request")
        .unwrap_or_else(|| panic!("no request line in {lines:#?}"));
    assert_eq!(
        line["span"]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736",
        "{line}"
    );
    assert_eq!(line["client"], "127.0.0.1", "{line}");
}

#[test]
fn user_commands_manage_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("users.db").display());
    let run = |args: &[&str], password: Option<&str>| {
        let mut command = waypost();
        command
            .env("DATABASE_URL", &url)
            .args(args)
            .stdin(Stdio::null());
        if let Some(password) = password {
            command.env("WAYPOST_PASSWORD", password);
        }
        let output = command.output().unwrap();
        (
            output.status.success(),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let secret = "a long enough secret";
    let (ok, out, err) = run(
        &[
            "user",
            "create",
            "--email",
            "Root@Example.com",
            "--role",
            "ADMIN",
        ],
        Some(secret),
    );
    assert!(ok, "{err}");
    assert!(out.contains("root@example.com\tadmin\tactive"), "{out}");
    assert!(!out.contains(secret) && !err.contains(secret));

    let (ok, _, err) = run(
        &[
            "user",
            "create",
            "--email",
            "root@example.com",
            "--role",
            "editor",
        ],
        Some(secret),
    );
    assert!(!ok, "a second account with the same email is refused");
    assert!(err.contains("exists"), "{err}");

    let (ok, _, err) = run(
        &[
            "user",
            "create",
            "--email",
            "weak@example.com",
            "--role",
            "author",
        ],
        Some("short"),
    );
    assert!(!ok);
    assert!(err.contains("10 characters"), "{err}");

    let (ok, _, err) = run(
        &[
            "user",
            "create",
            "--email",
            "nopass@example.com",
            "--role",
            "author",
        ],
        None,
    );
    assert!(!ok, "no terminal and no WAYPOST_PASSWORD");
    assert!(err.contains("WAYPOST_PASSWORD"), "{err}");

    // The only admin cannot be demoted: someone must be able to manage users.
    let (ok, _, err) = run(
        &[
            "user",
            "role",
            "--email",
            "root@example.com",
            "--role",
            "editor",
        ],
        None,
    );
    assert!(!ok && err.contains("no enabled admin"), "{err}");
    let (ok, _, err) = run(
        &[
            "user",
            "create",
            "--email",
            "second@example.com",
            "--role",
            "admin",
        ],
        Some(secret),
    );
    assert!(ok, "{err}");

    let (ok, out, _) = run(
        &[
            "user",
            "role",
            "--email",
            "root@example.com",
            "--role",
            "editor",
        ],
        None,
    );
    assert!(ok && out.contains("\teditor\t"), "{out}");
    let (ok, out, _) = run(&["user", "disable", "--email", "ROOT@example.com"], None);
    assert!(ok && out.contains("\tdisabled\t"), "{out}");
    let (ok, out, _) = run(&["user", "list"], None);
    assert!(ok);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.contains("root@example.com\teditor\tdisabled"), "{out}");
    assert!(out.contains("second@example.com\tadmin\tactive"), "{out}");
    let (ok, _, err) = run(&["user", "disable", "--email", "ghost@example.com"], None);
    assert!(!ok && err.contains("no such account"), "{err}");
}

#[test]
fn a_subcommand_lists_its_own_options_before_the_global_ones() {
    let output = waypost()
        .args(["user", "create", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    let at = |word: &str| {
        help.find(word)
            .unwrap_or_else(|| panic!("no {word}:\n{help}"))
    };
    for own in ["--email", "--role", "--name", "--author"] {
        for global in ["--database-url", "--db-max-connections", "--log-format"] {
            assert!(at(own) < at(global), "{own} after {global}:\n{help}");
        }
    }
    assert!(help.contains("Global options:"), "{help}");
}

#[test]
fn logs_to_a_pipe_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("logs.db").display());
    let output = waypost()
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(output.status.success());
    let logs = String::from_utf8(output.stderr).unwrap();
    assert!(!logs.is_empty(), "migrate logs what it did");
    assert!(!logs.contains('\u{1b}'), "escape codes in {logs:?}");
}

fn stop(mut child: std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            return;
        }
        assert!(Instant::now() < deadline, "server ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn production_mode_refuses_to_guess_a_database() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["serve"][..], &["migrate"], &["seed"]] {
        let output = waypost()
            .args(args)
            .current_dir(dir.path())
            .env("WAYPOST_MODE", "production")
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?} ran without a database");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains("DATABASE_URL"), "{args:?}: {stderr}");
        assert!(
            std::fs::read_dir(dir.path()).unwrap().next().is_none(),
            "{args:?} created a database file"
        );
    }
}

#[test]
fn production_mode_serves_no_demo_and_hides_the_schema_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("prod.db").display());
    let mut serve = waypost();
    serve
        .env("WAYPOST_MODE", "production")
        .env("DATABASE_URL", &url)
        .env("WAYPOST_DRAIN_SECONDS", "0");
    let server = start(serve);
    // One start-up line says what was chosen.
    let chosen = server
        .log
        .iter()
        .find(|e| e["message"] == "Waypost configured")
        .unwrap_or_else(|| panic!("no configuration line: {:#?}", server.log));
    assert_eq!(chosen["mode"], "Production", "{chosen}");
    assert_eq!(chosen["demo_content"], "off", "{chosen}");
    assert_eq!(chosen["graphiql_and_introspection"], false, "{chosen}");
    let address = server.address.clone();
    block_on(async {
        let page = reqwest::get(format!("http://{address}/")).await.unwrap();
        assert_eq!(page.status(), 404, "no GraphiQL");
        let body = post_query(
            &address,
            "{ posts { totalCount } __schema { queryType { name } } }",
            &[],
        )
        .await;
        assert!(body["errors"].is_array(), "introspection is off: {body}");
        let body = post_query(&address, "{ posts { totalCount } }", &[]).await;
        assert_eq!(
            body["data"]["posts"]["totalCount"], 0,
            "no demo content: {body}"
        );
    });
    stop(server.child);

    // Asked for, both come back.
    let mut serve = waypost();
    serve
        .env("WAYPOST_MODE", "production")
        .env("DATABASE_URL", &url)
        .env("WAYPOST_DRAIN_SECONDS", "0")
        .env("WAYPOST_SEED_DEMO", "true")
        .env("WAYPOST_INTROSPECTION", "true");
    let server = start(serve);
    let chosen = server
        .log
        .iter()
        .find(|e| e["message"] == "Waypost configured")
        .unwrap();
    assert_eq!(
        chosen["demo_content"], "loaded into the empty database",
        "{chosen}"
    );
    assert_eq!(chosen["graphiql_and_introspection"], true, "{chosen}");
    stop(server.child);
}

#[test]
fn migrate_status_lists_what_is_applied_and_pending() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("status.db").display());
    let status = |expect_success: bool| {
        let output = waypost()
            .args(["migrate", "status"])
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        assert_eq!(output.status.success(), expect_success, "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let fresh = status(true);
    assert!(fresh.lines().count() > 1, "{fresh}");
    assert!(fresh.lines().all(|l| l.starts_with("pending\t")), "{fresh}");
    let migrated = waypost()
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(migrated.status.success());
    let done = status(true);
    assert!(done.lines().all(|l| l.starts_with("applied\t")), "{done}");
    assert_eq!(done.lines().count(), fresh.lines().count());
}

#[test]
fn version_names_the_commit() {
    let output = waypost().arg("--version").output().unwrap();
    assert!(output.status.success());
    let version = String::from_utf8(output.stdout).unwrap();
    assert!(
        version.starts_with(&format!("waypost {} (", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let commit = version
        .trim()
        .rsplit_once('(')
        .unwrap()
        .1
        .trim_end_matches(')');
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{version}"
    );
}

#[test]
fn an_impossible_value_names_the_variable_it_came_from() {
    let output = waypost()
        .args(["migrate"])
        .env("WAYPOST_DB_MAX_CONNECTIONS", "0")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("WAYPOST_DB_MAX_CONNECTIONS"), "{stderr}");
    // Typed as a flag, the flag is named and no variable is blamed.
    let output = waypost()
        .args(["migrate", "--db-max-connections", "0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("--db-max-connections"), "{stderr}");
    assert!(!stderr.contains("environment variable"), "{stderr}");
}

#[test]
fn metrics_can_have_an_address_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let mut serve = waypost();
    serve
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("metrics.db").display()),
        )
        .env("WAYPOST_SEED_DEMO", "false")
        .env("WAYPOST_METRICS_BIND", "127.0.0.1:0");
    let server = start(serve);
    let deadline = Instant::now() + Duration::from_secs(10);
    let metrics = loop {
        let found = server.later.lock().unwrap().iter().find_map(|line| {
            let event: serde_json::Value = serde_json::from_str(line).ok()?;
            let message = event["message"].as_str()?;
            Some(message.strip_prefix("metrics at ")?.to_owned())
        });
        if let Some(url) = found {
            break url;
        }
        assert!(Instant::now() < deadline, "no metrics address logged");
        std::thread::sleep(Duration::from_millis(20));
    };
    block_on(async {
        let client = reqwest::Client::new();
        let api = client
            .get(format!("http://{}/metrics", server.address))
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 404, "metrics are not beside the API");
        let scraped = client.get(&metrics).send().await.unwrap();
        assert_eq!(scraped.status(), 200);
        assert!(
            scraped
                .text()
                .await
                .unwrap()
                .contains("waypost_requests_total")
        );
    });
    stop(server.child);
}

#[test]
fn operations_add_registers_what_a_trusted_server_then_runs() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("trusted.db").display());
    let latest = "query Latest { posts(first: 2) { nodes { slug } } }";
    let good = dir.path().join("latest.graphql");
    let bad = dir.path().join("bad.graphql");
    std::fs::write(&good, latest).unwrap();
    std::fs::write(&bad, "query Bad { nope }").unwrap();
    let operations = |args: &[&std::path::Path]| {
        let output = waypost()
            .arg("operations")
            .args(args)
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let add = std::path::Path::new("add");
    let list = std::path::Path::new("list");
    // One bad file: refused, naming it, and nothing registered.
    let (ok, _, err) = operations(&[add, &good, &bad]);
    assert!(!ok);
    assert!(err.contains("bad.graphql") && err.contains("nope"), "{err}");
    let (ok, out, _) = operations(&[list]);
    assert!(ok && out.is_empty(), "{out}");
    // The hash is the one `sha256sum` prints for the file.
    let hash = "d8e194f5797109ccd616f01cadd690d63a0161df83ea1453f98d536ec436e285";
    let (ok, out, err) = operations(&[add, &good]);
    assert!(ok, "{err}");
    assert_eq!(out, format!("{hash}\t{}\tadded\n", good.display()));
    let (ok, out, _) = operations(&[add, &good]);
    assert!(ok && out.ends_with("\talready registered\n"), "{out}");
    let (ok, out, _) = operations(&[list]);
    assert!(ok);
    let fields: Vec<&str> = out.trim_end().split('\t').collect();
    assert_eq!(fields.len(), 3, "{out}");
    assert_eq!((fields[0], fields[2]), (hash, "Latest"), "{out}");

    let mut serve = waypost();
    serve
        .env("DATABASE_URL", &url)
        .env("WAYPOST_TRUSTED_ONLY", "true");
    let server = start(serve);
    let chosen = server
        .log
        .iter()
        .find(|e| e["message"] == "Waypost configured")
        .unwrap();
    assert_eq!(
        chosen["operations"], "trusted only: those registered in the database",
        "{chosen}"
    );
    let address = server.address.clone();
    block_on(async {
        let body = post_query(&address, latest, &[]).await;
        assert_eq!(
            body["data"]["posts"]["nodes"].as_array().map(Vec::len),
            Some(2),
            "{body}"
        );
        let body = post_query(&address, "{ posts { totalCount } }", &[]).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "OPERATION_NOT_TRUSTED",
            "{body}"
        );
    });
    stop(server.child);
}

#[test]
fn a_bad_trusted_document_stops_the_start_before_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let documents = dir.path().join("operations");
    std::fs::create_dir(&documents).unwrap();
    std::fs::write(documents.join("fine.graphql"), "{ posts { totalCount } }").unwrap();
    std::fs::write(documents.join("typo.graphql"), "{ posts { totalCuont } }").unwrap();
    let output = waypost()
        .current_dir(dir.path())
        .env("WAYPOST_TRUSTED_DOCUMENTS", &documents)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("typo.graphql") && lines[0].contains("totalCuont"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("waypost.db").exists(),
        "the database was opened before the documents were checked"
    );
    // A directory that is not there is named too.
    let output = waypost()
        .current_dir(dir.path())
        .args(["serve", "--trusted-documents", "missing"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("missing") && stderr.contains("directory"),
        "{stderr}"
    );
}

/// `waypost import wordpress`: a summary on stdout, nothing twice, and a
/// malformed file refused on stderr with its place, non-zero, no panic.
#[test]
fn import_wordpress_summarises_and_refuses_a_broken_file() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/wordpress/site.xml"
    );
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("import.db").display());
    let import = |file: &str| {
        waypost()
            .args(["import", "wordpress", file])
            .env("DATABASE_URL", &url)
            .output()
            .unwrap()
    };
    let first = import(fixture);
    let stdout = String::from_utf8_lossy(&first.stdout);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stdout}\n{stderr}");
    for line in [
        "authors:  3 imported",
        "tags:     5 imported",
        "posts:    8 imported (published 3, scheduled 1, draft 1, private as draft 1, protected, as draft 1, trashed 1)",
        "approved 8, pending 1, spam 1, trash 2",
        "skipped comments: pingback 1",
        "skipped items: attachment 1, custom_css 1, nav_menu_item 1, page 1, wp_block 1",
    ] {
        assert!(stdout.contains(line), "{line:?} missing:\n{stdout}");
    }
    // Not a terminal: no progress bar in the output.
    assert!(!stderr.contains("checking"), "{stderr}");

    let again = import(fixture);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success());
    assert!(stdout.contains("8 already imported"), "{stdout}");
    assert!(
        stdout.contains("everything in this file was already imported"),
        "{stdout}"
    );

    let broken = dir.path().join("broken.xml");
    // Bytes, not a str slice: the middle may fall inside "Café".
    let text = std::fs::read(fixture).unwrap();
    std::fs::write(&broken, &text[..text.len() / 2]).unwrap();
    let refused = import(broken.to_str().unwrap());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.contains("broken.xml: line "), "{stderr}");
    assert!(stderr.contains("wp:post_id"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let missing = import("/nonexistent/export.xml");
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("cannot read /nonexistent/export.xml"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}
