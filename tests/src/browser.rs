//! A headless Chromium driven over the DevTools protocol: just enough to
//! open a page, run script in it and record every request it makes.
//!
//! A client of a few dozen lines over `tokio-tungstenite` rather than
//! `chromiumoxide` or `headless_chrome`: their generated protocol crates
//! alone take several minutes to compile in a debug build, for the five
//! methods used here.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// Set to `required` (CI does) to fail rather than skip when no browser
/// can be started.
pub const REQUIRE_VAR: &str = "WAYPOST_BROWSER_TEST";

/// Names Chromium goes by, tried in order on `PATH` unless
/// `WAYPOST_CHROMIUM` names the program.
const PROGRAMS: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// How long a step may take before the test gives up on it.
pub const STEP: Duration = Duration::from_secs(30);

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The browser process, killed when dropped however the test ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One page in a headless Chromium with an empty profile of its own.
pub struct Browser {
    page: Ws,
    next_id: u64,
    /// Every protocol event seen so far, in order.
    pub events: Vec<Value>,
    // Dropped in this order: the process dies before its profile goes.
    _process: Process,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A browser for a test, or `None` (after a loud notice) when none can
    /// be started and `WAYPOST_BROWSER_TEST=required` is not set; with it
    /// set, no browser fails the test.
    pub async fn for_test(test: &str) -> Option<Browser> {
        match Browser::launch().await {
            Ok(browser) => Some(browser),
            Err(why) if std::env::var(REQUIRE_VAR).as_deref() == Ok("required") => {
                panic!("{test}: {REQUIRE_VAR}=required but no browser could be started: {why}")
            }
            Err(why) => {
                // Straight to stderr: the test harness would swallow
                // `eprintln!` from a test that passes.
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr(),
                    "\n*** {test} DID NOT RUN: no browser could be started ({why}).\n\
                     *** Install Chromium (apt-get install chromium) or set WAYPOST_CHROMIUM; \
                     {REQUIRE_VAR}=required makes this a failure.\n"
                );
                None
            }
        }
    }

    /// Starts Chromium headless on a blank page and attaches to that page.
    pub async fn launch() -> Result<Browser, String> {
        let program = chromium().ok_or_else(|| {
            format!("none of {PROGRAMS:?} is on PATH and WAYPOST_CHROMIUM is not set")
        })?;
        let profile = tempfile::tempdir().map_err(|e| format!("profile directory: {e}"))?;
        let log = std::fs::File::create(profile.path().join("chromium.log"))
            .map_err(|e| format!("browser log: {e}"))?;
        let child = Command::new(&program)
            .arg("--headless=new")
            // Tests run as root in CI containers, where the sandbox cannot start.
            .arg("--no-sandbox")
            .arg("--disable-gpu")
            .arg("--disable-dev-shm-usage")
            .arg("--no-first-run")
            .arg("--no-default-browser-check")
            .arg("--remote-debugging-port=0")
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        let mut process = Process(child);

        // Chromium writes its port here once it listens.
        let port_file = profile.path().join("DevToolsActivePort");
        let deadline = Instant::now() + STEP;
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file)
                && let Some(Ok(port)) = text.lines().next().map(str::parse::<u16>)
            {
                break port;
            }
            if let Ok(Some(status)) = process.0.try_wait() {
                let log = std::fs::read_to_string(profile.path().join("chromium.log"))
                    .unwrap_or_default();
                let tail: String = log.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
                return Err(format!("{} exited ({status}): {tail}", program.display()));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not open its DevTools port",
                    program.display()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };

        let targets: Vec<Value> = reqwest::get(format!("http://127.0.0.1:{port}/json/list"))
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("DevTools target list: {e}"))?
            .json()
            .await
            .map_err(|e| format!("DevTools target list: {e}"))?;
        let socket = targets
            .iter()
            .find(|target| target["type"] == "page")
            .and_then(|target| target["webSocketDebuggerUrl"].as_str())
            .ok_or("Chromium opened no page")?;
        let (page, _) = tokio_tungstenite::connect_async(socket)
            .await
            .map_err(|e| format!("DevTools socket: {e}"))?;
        Ok(Browser {
            page,
            next_id: 0,
            events: Vec::new(),
            _process: process,
            _profile: profile,
        })
    }

    /// Calls a DevTools method on the page and returns its result; events
    /// that arrive meanwhile are kept in [`Browser::events`].
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let request = json!({ "id": id, "method": method, "params": params });
        self.page
            .send(Message::text(request.to_string()))
            .await
            .unwrap();
        loop {
            let message = tokio::time::timeout(STEP, self.page.next())
                .await
                .unwrap_or_else(|_| panic!("{method}: no answer in {STEP:?}"))
                .unwrap_or_else(|| panic!("{method}: the browser closed its socket"))
                .unwrap();
            let Message::Text(text) = message else {
                continue;
            };
            let mut message: Value = serde_json::from_str(&text).unwrap();
            if message["id"] == id {
                assert!(message["error"].is_null(), "{method}: {message}");
                return message["result"].take();
            }
            if message["method"].is_string() {
                self.events.push(message);
            }
        }
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns
    /// its value; an exception fails the test.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let mut answer = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await;
        assert!(
            answer["exceptionDetails"].is_null(),
            "{expression}: {}",
            answer["exceptionDetails"]
        );
        answer["result"]["value"].take()
    }

    /// Polls `expression` every 100 ms until it is truthy, and returns it;
    /// fails the test after [`STEP`], saying it was waiting for `what`.
    pub async fn wait_for(&mut self, what: &str, expression: &str) -> Value {
        let deadline = Instant::now() + STEP;
        loop {
            let value = self.eval(expression).await;
            let truthy = match &value {
                Value::Null | Value::Bool(false) => false,
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return value;
            }
            assert!(Instant::now() < deadline, "waited {STEP:?} for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every URL the page has requested so far, WebSockets included.
    pub fn requested_urls(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|event| match event["method"].as_str() {
                Some("Network.requestWillBeSent") => event["params"]["request"]["url"].as_str(),
                Some("Network.webSocketCreated") => event["params"]["url"].as_str(),
                _ => None,
            })
            .map(str::to_owned)
            .collect()
    }
}

/// The Chromium to run: `WAYPOST_CHROMIUM`, else the first of [`PROGRAMS`]
/// on `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(program) = std::env::var_os("WAYPOST_CHROMIUM") {
        return Some(program.into());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| PROGRAMS.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}
