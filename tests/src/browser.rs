//! A headless Chromium driven over the DevTools protocol: just enough to
//! open a page, run script in it and record every request it makes.
//!
//! A small client over `tokio-tungstenite` rather than
//! `chromiumoxide` or `headless_chrome`: their generated protocol crates
//! alone take several minutes to compile in a debug build, for the
//! handful of methods used here.
//!
//! Every wait has a deadline of [`STEP`] and polls; nothing sleeps a fixed
//! time hoping the browser is done, which a loaded machine would outrun.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::time::Instant;
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

/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(100);

/// Protocol errors that mean the page's document is being replaced (a
/// navigation, a reload): script run a moment later finds the new one.
const CONTEXT_GONE: [&str; 4] = [
    "Execution context was destroyed",
    "Cannot find context with specified id",
    "Cannot find default execution context",
    "Inspected target navigated or closed",
];

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The browser process, killed and reaped when dropped however the test
/// ends: a returned error, a failed assertion's unwinding or success.
/// (Its helper processes exit by themselves once it is gone.)
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
        let deadline = Instant::now() + STEP;

        // Chromium writes its port here once it listens; read until the
        // whole file is there.
        let port_file = profile.path().join("DevToolsActivePort");
        let port = loop {
            if let Some(port) = std::fs::read_to_string(&port_file)
                .ok()
                .as_deref()
                .and_then(devtools_port)
            {
                break port;
            }
            if let Ok(Some(status)) = process.0.try_wait() {
                let log = std::fs::read_to_string(profile.path().join("chromium.log"))
                    .unwrap_or_default();
                let tail: String = log.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
                return Err(format!("{} exited ({status}): {tail}", program.display()));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{} wrote no complete {} in {STEP:?}",
                    program.display(),
                    port_file.display()
                ));
            }
            tokio::time::sleep(POLL).await;
        };

        // The blank page may be listed a moment after the port opens.
        let socket = loop {
            let last = match page_socket(port, deadline).await {
                Ok(Some(socket)) => break socket,
                Ok(None) => "Chromium lists no page yet".to_owned(),
                Err(why) => why,
            };
            if Instant::now() >= deadline {
                return Err(format!("DevTools target list, for {STEP:?}: {last}"));
            }
            tokio::time::sleep(POLL).await;
        };
        let (page, _) = tokio::time::timeout_at(deadline, tokio_tungstenite::connect_async(socket))
            .await
            .map_err(|_| format!("DevTools socket: not open in {STEP:?}"))?
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
    /// that arrive meanwhile are kept in [`Browser::events`]. An error
    /// answer or no answer in [`STEP`] fails the test.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        match self.call_by(method, params, Instant::now() + STEP).await {
            Ok(Ok(result)) => result,
            Ok(Err(error)) => panic!("{method}: {error}"),
            Err(why) => panic!("{method}: {why}"),
        }
    }

    /// Opens `url` and returns once it has loaded: until then script run in
    /// the page may meet the blank page's document as it is torn down.
    pub async fn navigate(&mut self, url: &str) {
        self.call("Page.enable", json!({})).await;
        // `Page.loadEventFired` does not say which document loaded, so a
        // late one from the blank page could pass for this one; the
        // lifecycle "load" event names the navigation's loader.
        self.call("Page.setLifecycleEventsEnabled", json!({ "enabled": true }))
            .await;
        let answer = self.call("Page.navigate", json!({ "url": url })).await;
        if let Some(error) = answer["errorText"].as_str() {
            panic!("{url}: {error}");
        }
        let loader = answer["loaderId"].clone();
        assert!(loader.is_string(), "{url}: no loader in {answer}");
        self.wait_until(&format!("{url} to load"), |browser| {
            browser.events.iter().any(|event| {
                event["method"] == "Page.lifecycleEvent"
                    && event["params"]["name"] == "load"
                    && event["params"]["loaderId"] == loader
            })
        })
        .await;
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns
    /// its value; an exception fails the test.
    pub async fn eval(&mut self, expression: &str) -> Value {
        match self.evaluate(expression, Instant::now() + STEP).await {
            Ok(Ok(value)) => value,
            Ok(Err(error)) | Err(error) => panic!("{expression}: {error}"),
        }
    }

    /// Polls `expression` every 100 ms until it is truthy, and returns it;
    /// fails the test after [`STEP`], saying it was waiting for `what` and
    /// what the last try gave. Until then an exception or a document
    /// being replaced counts as "not yet".
    pub async fn wait_for(&mut self, what: &str, expression: &str) -> Value {
        let deadline = Instant::now() + STEP;
        loop {
            let last = match self.evaluate(expression, deadline).await {
                Ok(Ok(value)) if truthy(&value) => return value,
                Ok(Ok(value)) => format!("it was {value}"),
                Ok(Err(not_yet)) => not_yet,
                Err(why) => panic!("waiting for {what}: {why}"),
            };
            assert!(
                Instant::now() < deadline,
                "waited {STEP:?} for {what}: {last}"
            );
            tokio::time::sleep(POLL.min(deadline.saturating_duration_since(Instant::now()))).await;
        }
    }

    /// Reads the browser's events until `done` holds (it is asked first
    /// about those already seen, which may have come before the wait);
    /// fails the test after [`STEP`], saying it was waiting for `what`.
    pub async fn wait_until(&mut self, what: &str, done: impl Fn(&Browser) -> bool) {
        let deadline = Instant::now() + STEP;
        while !done(self) {
            if let Err(why) = self.receive(deadline).await {
                panic!("waiting for {what}: {why}");
            }
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

    /// `Runtime.evaluate`: the value, `Ok(Err)` for what may pass if tried
    /// again (an exception, the document being replaced), `Err` for what
    /// will not.
    async fn evaluate(
        &mut self,
        expression: &str,
        deadline: Instant,
    ) -> Result<Result<Value, String>, String> {
        let params =
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true });
        match self.call_by("Runtime.evaluate", params, deadline).await? {
            Ok(mut answer) if answer["exceptionDetails"].is_null() => {
                Ok(Ok(answer["result"]["value"].take()))
            }
            Ok(answer) => Ok(Err(format!("exception {}", answer["exceptionDetails"]))),
            Err(error) => {
                let message = error["message"].as_str().unwrap_or_default();
                if CONTEXT_GONE.iter().any(|gone| message.contains(gone)) {
                    Ok(Err(format!("error {error}")))
                } else {
                    Err(format!("error {error}"))
                }
            }
        }
    }

    /// Sends one request and reads until its answer: `Ok(Ok(result))`,
    /// `Ok(Err(error))` for a protocol error, `Err` when the socket fails
    /// or `deadline` passes first.
    async fn call_by(
        &mut self,
        method: &str,
        params: Value,
        deadline: Instant,
    ) -> Result<Result<Value, Value>, String> {
        self.next_id += 1;
        let id = self.next_id;
        let request = json!({ "id": id, "method": method, "params": params });
        tokio::time::timeout_at(deadline, self.page.send(Message::text(request.to_string())))
            .await
            .map_err(|_| format!("not sent in {STEP:?}"))?
            .map_err(|e| format!("not sent: {e}"))?;
        loop {
            // An answer to an earlier request (one given up on) is skipped.
            if let Some(mut answer) = self.receive(deadline).await?
                && answer["id"] == id
            {
                return Ok(match answer["error"].take() {
                    Value::Null => Ok(answer["result"].take()),
                    error => Err(error),
                });
            }
        }
    }

    /// Reads one message: events go to [`Browser::events`], an answer is
    /// returned.
    async fn receive(&mut self, deadline: Instant) -> Result<Option<Value>, String> {
        loop {
            let message = tokio::time::timeout_at(deadline, self.page.next())
                .await
                .map_err(|_| format!("nothing from the browser in time ({STEP:?} a step)"))?
                .ok_or("the browser closed its socket")?
                .map_err(|e| format!("DevTools socket: {e}"))?;
            let text = match message {
                Message::Text(text) => text,
                Message::Close(frame) => return Err(format!("the browser closed: {frame:?}")),
                _ => continue,
            };
            let message: Value = serde_json::from_str(&text)
                .map_err(|e| format!("not JSON from the browser ({e}): {text}"))?;
            if message["method"].is_string() {
                self.events.push(message);
                return Ok(None);
            }
            return Ok(Some(message));
        }
    }
}

/// JavaScript's truthiness, for the values `returnByValue` gives.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => false,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        _ => true,
    }
}

/// The port in a `DevToolsActivePort` file, once the file is whole: the
/// port, a newline and the browser's path with its 36-character id. A
/// file still being written may hold part of the port ("3" of "33449").
fn devtools_port(text: &str) -> Option<u16> {
    let (port, path) = text.split_once('\n')?;
    let id = path.trim_end().strip_prefix("/devtools/browser/")?;
    if id.len() != 36 {
        return None;
    }
    port.parse().ok()
}

/// The DevTools socket of the first page Chromium lists, if any yet.
async fn page_socket(port: u16, deadline: Instant) -> Result<Option<String>, String> {
    let list = async {
        reqwest::get(format!("http://127.0.0.1:{port}/json/list"))
            .await?
            .error_for_status()?
            .json::<Vec<Value>>()
            .await
    };
    let targets = tokio::time::timeout_at(deadline, list)
        .await
        .map_err(|_| "no answer".to_owned())?
        .map_err(|e| e.to_string())?;
    Ok(targets
        .iter()
        .find(|target| target["type"] == "page")
        .and_then(|target| target["webSocketDebuggerUrl"].as_str())
        .map(str::to_owned))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A port file read while Chromium is still writing it gives no port,
    /// rather than the digits written so far.
    #[test]
    fn a_partly_written_port_file_gives_no_port() {
        let whole = "33449\n/devtools/browser/37841fcf-4ff5-4610-b4e3-082bf6365dbe";
        assert_eq!(devtools_port(whole), Some(33449));
        assert_eq!(devtools_port(&format!("{whole}\n")), Some(33449));
        for cut in 0..whole.len() {
            assert_eq!(devtools_port(&whole[..cut]), None, "{:?}", &whole[..cut]);
        }
    }
}
