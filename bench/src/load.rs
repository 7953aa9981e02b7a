//! The two load generators: one in this process (reqwest on a runtime of
//! its own), and wrk, a separate process driven by a generated Lua script,
//! which measures the server as any client would. Both send a plan's
//! requests in turn from a fixed number of connections, check every
//! answer, and report the rate and latency percentiles.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::proc::process_cpu;
use crate::scenarios::{Check, Method, Plan, READER, UNIQUE, failure};

/// What a measured stretch of load gave.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub requests: u64,
    pub elapsed: Duration,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl Outcome {
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// The `X-Forwarded-For` of a unique request: a client address of its own
/// (the server trusts loopback as its proxy), so that flood control counts
/// per visitor as it would behind a real proxy rather than queueing every
/// comment behind one address's lock.
fn forwarded_for(first: u64, n: u64) -> String {
    format!("172.{first}.{}.{}", n / 256 % 256, n % 256)
}

/// Drives `plan` at `base` (`http://host:port`) from `concurrency` clients
/// for `duration`. `nonce` keeps unique requests apart between runs.
pub async fn in_process(
    base: &str,
    plan: &Plan,
    concurrency: usize,
    duration: Duration,
    nonce: &str,
) -> anyhow::Result<Outcome> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let plan = std::sync::Arc::new(plan.clone());
    let started = Instant::now();
    let deadline = started + duration;
    let mut workers = Vec::with_capacity(concurrency);
    for worker in 0..concurrency {
        let client = client.clone();
        let plan = plan.clone();
        let base = base.to_owned();
        let (method, check, unique, commenters) =
            (plan.method, plan.check, plan.unique, plan.commenters);
        let nonce = nonce.to_owned();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let w = u64::try_from(worker).unwrap_or(0);
            let mut n: u64 = w * 7919;
            while Instant::now() < deadline {
                n += 1;
                let (path, mut body) = plan.request(usize::try_from(n).unwrap_or(0));
                let url = format!("{base}{path}");
                let mut request = match method {
                    Method::Get => client.get(&url),
                    Method::Post => client
                        .post(&url)
                        .header(reqwest::header::CONTENT_TYPE, "application/json"),
                };
                if unique {
                    let reader = (n % u64::try_from(commenters).unwrap_or(1)).to_string();
                    body = body.map(|b| {
                        b.replace(READER, &reader)
                            .replace(UNIQUE, &format!("{nonce}-in-{w}-{n}"))
                    });
                    request = request.header("x-forwarded-for", forwarded_for(100 + w % 100, n));
                }
                if let Some(body) = body {
                    request = request.body(body);
                }
                let sent = Instant::now();
                let response = request.send().await?;
                let status = response.status().as_u16();
                let bytes = response.bytes().await?;
                if let Some(problem) = failure(check, status, &bytes) {
                    bail!("request {path} failed: {problem}");
                }
                latencies.push(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX));
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        if latencies.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * (latencies.len() - 1) as f64).round() as usize;
        latencies
            .get(rank.min(latencies.len() - 1))
            .map_or(0.0, |us| *us as f64 / 1000.0)
    };
    Ok(Outcome {
        requests: u64::try_from(latencies.len()).unwrap_or(u64::MAX),
        elapsed,
        p50_ms: percentile(50.0),
        p99_ms: percentile(99.0),
    })
}

/// A Lua long string holding `text` exactly, with a level of `=` signs the
/// text does not close.
fn lua_string(text: &str) -> String {
    let mut level = String::new();
    while text.contains(&format!("]{level}]")) {
        level.push('=');
    }
    // A newline right after the opening bracket is dropped by Lua; one of
    // our own absorbs that.
    format!("[{level}[\n{text}]{level}]")
}

/// The wrk script of a plan. Requests are sent in turn, each formatted
/// once per thread, when first sent; unique ones are filled in per request. Every answer is
/// checked as the in-process generator checks it (status, then the
/// `"errors"` key, then an empty `userErrors`), and `done` prints one line
/// the harness reads. The script's argument keeps one run's unique requests
/// apart from another's.
pub fn wrk_script(plan: &Plan) -> String {
    let mut lua = String::from("-- Written by waypost-bench for one scenario.\n");
    lua.push_str(&format!("local method = \"{}\"\n", plan.method.as_str()));
    lua.push_str(&format!("local path = {}\n", lua_string(&plan.path)));
    match &plan.body {
        Some(body) => lua.push_str(&format!("local body = {}\n", lua_string(body))),
        None => lua.push_str("local body = nil\n"),
    }
    lua.push_str("local values = {\n");
    for value in &plan.values {
        lua.push_str(&lua_string(value));
        lua.push_str(",\n");
    }
    lua.push_str("}\n");
    lua.push_str(&format!(
        "local unique = {}\nlocal commenters = {}\n",
        plan.unique,
        plan.commenters.max(1),
    ));
    let (graphql, mutation) = match plan.check {
        Check::Status => (false, false),
        Check::Graphql => (true, false),
        Check::Mutation => (true, true),
    };
    lua.push_str(&format!(
        "local graphql = {graphql}\nlocal mutation = {mutation}\n"
    ));
    lua.push_str(WRK_LOGIC);
    lua
}

const WRK_LOGIC: &str = r#"
local threads = {}
local headers = {}
if body then headers["Content-Type"] = "application/json" end

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local prepared = {}
local n = 0
local nonce = "run"
failures = 0
sample = nil

local function fill(text, value)
  if text == nil then return nil end
  -- A function as replacement: a value's "%" is taken as it is.
  return (text:gsub("__VALUE__", function() return value end))
end

function init(args)
  nonce = args[1] or nonce
  if #values == 0 then values = { "" } end
  n = (tid * 7919) % #values
end

function request()
  n = n + 1
  local i = n % #values + 1
  -- Formatted when first sent, then kept: 200,000 article pages formatted
  -- ahead would take each thread 260 MB.
  local r = prepared[i]
  if r == nil then
    local p, b = fill(path, values[i]), fill(body, values[i])
    if unique then r = { p, b } else r = wrk.format(method, p, headers, b) end
    prepared[i] = r
  end
  if not unique then return r end
  local reader = tostring(n % commenters)
  local token = nonce .. "-wrk-" .. tid .. "-" .. n
  local b = r[2]:gsub("__READER__", reader)
  b = b:gsub("__UNIQUE__", token)
  local h = { ["Content-Type"] = "application/json" }
  h["X-Forwarded-For"] = "172." .. (16 + tid % 80) .. "." .. (math.floor(n / 256) % 256) .. "." .. (n % 256)
  return wrk.format(method, r[1], h, b)
end

function response(status, hdrs, answer)
  local bad = status ~= 200
  if not bad and graphql then
    bad = answer:find('"errors"', 1, true) ~= nil
    if not bad and mutation then
      bad = answer:find('"userErrors":[]', 1, true) == nil
    end
  end
  if bad then
    failures = failures + 1
    if sample == nil then sample = status .. " " .. answer:sub(1, 300) end
  end
end

function done(summary, latency, requests)
  local failed, first = 0, nil
  for _, t in ipairs(threads) do
    failed = failed + (t:get("failures") or 0)
    first = first or t:get("sample")
  end
  local e = summary.errors
  io.write(string.format(
    "WAYPOST_BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d failed=%d socket_errors=%d\n",
    summary.requests, summary.duration,
    math.floor(latency:percentile(50)), math.floor(latency:percentile(99)),
    failed + e.status, e.connect + e.read + e.write + e.timeout))
  if first then io.write("WAYPOST_BENCH_SAMPLE " .. first:gsub("\n", " ") .. "\n") end
end
"#;

/// What a run of wrk gave, and the CPU it took.
pub struct WrkRun {
    pub outcome: Outcome,
    pub cpu_seconds: f64,
}

/// Runs wrk with `script` against `base` and reads its report line; `nonce`
/// goes to the script. Its CPU is sampled from `/proc` while it runs (the
/// last sample, at most 50 ms before it exits, stands for the whole).
pub fn wrk(
    base: &str,
    script: &Path,
    nonce: &str,
    threads: usize,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<WrkRun> {
    let threads = threads.clamp(1, concurrency.max(1));
    let mut child = Command::new("wrk")
        .arg(format!("-t{threads}"))
        .arg(format!("-c{concurrency}"))
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .arg("--timeout")
        .arg("10s")
        .arg("-s")
        .arg(script)
        .arg(base)
        .arg("--")
        .arg(nonce)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run wrk: install it (apt-get install wrk) or pass --load in-process")?;
    let mut cpu_seconds = 0.0;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if let Ok(cpu) = process_cpu(child.id(), false) {
            cpu_seconds = cpu;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !status.success() {
        bail!(
            "wrk failed ({status}): {}{}",
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("WAYPOST_BENCH "))
        .with_context(|| format!("wrk printed no report:\n{stdout}"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .with_context(|| format!("no {name} in wrk's report: {line}"))?
            .parse::<u64>()
            .with_context(|| format!("{name} in wrk's report: {line}"))
    };
    let (failed, socket_errors) = (field("failed")?, field("socket_errors")?);
    if failed > 0 || socket_errors > 0 {
        let sample = stdout
            .lines()
            .find_map(|l| l.strip_prefix("WAYPOST_BENCH_SAMPLE "))
            .unwrap_or("");
        bail!(
            "{failed} answers failed and {socket_errors} socket errors under wrk; first: {sample}"
        );
    }
    Ok(WrkRun {
        outcome: Outcome {
            requests: field("requests")?,
            elapsed: Duration::from_micros(field("duration_us")?),
            p50_ms: field("p50_us")? as f64 / 1000.0,
            p99_ms: field("p99_us")? as f64 / 1000.0,
        },
        cpu_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::lua_string;

    #[test]
    fn lua_strings_are_never_closed_early() {
        assert_eq!(lua_string("a"), "[[\na]]");
        assert_eq!(lua_string("x]]y"), "[=[\nx]]y]=]");
        assert_eq!(lua_string("]]]=]"), "[==[\n]]]=]]==]");
    }
}
