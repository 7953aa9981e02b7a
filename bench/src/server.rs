//! The server under test: the release `waypost serve` binary in a process
//! of its own, configured the way the benchmark needs, and what it reports
//! on `/metrics`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The server's settings, before any `--server-env` of the caller:
///
/// - production mode, as deployed: no GraphiQL or introspection, no demo
///   content;
/// - no rate limit: the load comes from one address, and the limit would
///   measure refusals;
/// - the comment flood limit at its maximum, and loopback trusted as a
///   proxy whose `X-Forwarded-For` names the client: `addComment` sends a
///   different client address with every request, so flood control runs
///   its checks and takes its per-address lock as for real visitors, but
///   never refuses and never queues every comment behind one address;
/// - request logs off (`warn`): a line per request to a file would be
///   measured too;
/// - no drain on stop, which only matters behind a load balancer.
const SETTINGS: [(&str, &str); 8] = [
    ("WAYPOST_MODE", "production"),
    ("WAYPOST_SEED_DEMO", "false"),
    ("WAYPOST_RATE_LIMIT_PER_MINUTE", "0"),
    ("WAYPOST_COMMENT_FLOOD_LIMIT", "100000"),
    ("WAYPOST_TRUSTED_PROXIES", "127.0.0.1"),
    ("RUST_LOG", "warn"),
    ("WAYPOST_DRAIN_SECONDS", "0"),
    ("WAYPOST_SHUTDOWN_GRACE_SECONDS", "5"),
];

/// A running `waypost serve`, stopped when dropped.
pub struct Server {
    child: Child,
    pub pid: u32,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub log: PathBuf,
}

/// The `waypost` binary beside this one (both are built into the same
/// target directory).
pub fn default_binary() -> anyhow::Result<PathBuf> {
    Ok(std::env::current_exe()?.with_file_name("waypost"))
}

/// A port nobody listens on now. Another process could take it before the
/// server binds it; the server then fails to start and says so.
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

impl Server {
    /// Starts `binary serve` on `database_url` with the benchmark's
    /// settings, then `extra` (`KEY=VALUE`) on top, and waits until it
    /// answers `/healthz`.
    pub async fn start(
        binary: &Path,
        database_url: &str,
        extra: &[String],
    ) -> anyhow::Result<Server> {
        if !binary.exists() {
            bail!(
                "no server binary at {}: build it with `cargo build --release -p waypost-gateway`, or pass --server",
                binary.display()
            );
        }
        let port = free_port()?;
        let log = std::env::temp_dir().join(format!("waypost-bench-server-{port}.log"));
        let log_file = std::fs::File::create(&log)
            .with_context(|| format!("cannot write the server log {}", log.display()))?;
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("WAYPOST_BIND", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        for (key, value) in SETTINGS {
            command.env(key, value);
        }
        for pair in extra {
            let (key, value) = pair
                .split_once('=')
                .with_context(|| format!("--server-env {pair:?} is not KEY=VALUE"))?;
            command.env(key, value);
        }
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let mut server = Server {
            pid: child.id(),
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited during start-up ({status}); its log:\n{}",
                    self.log_tail()
                );
            }
            let answer = client
                .get(format!("{}/healthz", self.base))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if answer.is_ok_and(|a| a.status().is_success()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "the server did not answer /healthz within 120 s; its log:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Asks the server to stop (SIGTERM, through `kill`, as a service
    /// manager would), and kills it if it has not within 15 s.
    pub fn stop(mut self) -> anyhow::Result<()> {
        let asked = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status()
            .is_ok_and(|s| s.success());
        if asked {
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if self.child.try_wait()?.is_some() {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // After an error midway: the server must not outlive the run.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// SQL statements run so far for GraphQL requests, and those requests:
/// the sum and count of `waypost_sql_statements_per_request`.
pub async fn statements(client: &reqwest::Client, base: &str) -> anyhow::Result<(f64, f64)> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let value = |name: &str| -> anyhow::Result<f64> {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .with_context(|| format!("no {name} on /metrics"))?
            .trim()
            .parse::<f64>()
            .with_context(|| format!("{name} on /metrics"))
    };
    Ok((
        value("waypost_sql_statements_per_request_sum")?,
        value("waypost_sql_statements_per_request_count")?,
    ))
}
