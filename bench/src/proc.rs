//! What the server and the load generators cost, read from Linux's `/proc`:
//! CPU time of a process (and its children: a clustered server's workers),
//! of this process's threads by name, and a process's peak resident memory.

use anyhow::Context;

/// Linux reports utime and stime in clock ticks, 100 per second on every
/// mainstream kernel configuration.
const TICKS_PER_SECOND: f64 = 100.0;

/// The name and CPU seconds of a `/proc/.../stat` line.
fn stat_cpu_seconds(stat: &str) -> Option<(String, f64)> {
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let name = stat.get(open + 1..close)?.to_owned();
    let fields: Vec<&str> = stat.get(close + 2..)?.split_whitespace().collect();
    // After the name: state is field 3, utime 14 and stime 15 (1-based).
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Some((name, (ticks(11) + ticks(12)) / TICKS_PER_SECOND))
}

/// Every process's id and `/proc/PID/stat` line; a process that exits
/// while this walks is left out.
fn process_stats() -> anyhow::Result<Vec<(u32, String)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").context("this needs Linux /proc")? {
        let entry = entry?;
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) {
            found.push((pid, stat));
        }
    }
    Ok(found)
}

/// The processes whose parent is `pid`.
fn children(pid: u32) -> anyhow::Result<Vec<u32>> {
    let parent = pid.to_string();
    Ok(process_stats()?
        .into_iter()
        .filter(|(_, stat)| {
            // The parent PID is the second field after the name.
            stat.rfind(')')
                .and_then(|close| stat.get(close + 2..))
                .and_then(|rest| rest.split_whitespace().nth(1))
                == Some(parent.as_str())
        })
        .map(|(child, _)| child)
        .collect())
}

/// `pid`, and its children when asked.
fn family(pid: u32, with_children: bool) -> anyhow::Result<Vec<u32>> {
    let mut pids = vec![pid];
    if with_children {
        pids.extend(children(pid)?);
    }
    Ok(pids)
}

/// CPU seconds used so far by a process, all its threads, and (when asked)
/// its child processes.
pub fn process_cpu(pid: u32, with_children: bool) -> anyhow::Result<f64> {
    let mut total = 0.0;
    for (i, p) in family(pid, with_children)?.into_iter().enumerate() {
        match std::fs::read_to_string(format!("/proc/{p}/stat")) {
            Ok(stat) => total += stat_cpu_seconds(&stat).map_or(0.0, |(_, s)| s),
            // A child may exit between listing and reading; the process
            // itself must be there.
            Err(err) if i == 0 => return Err(err).with_context(|| format!("no process {p}")),
            Err(_) => {}
        }
    }
    Ok(total)
}

/// CPU seconds used so far by every process named `name` (PostgreSQL's
/// backends are all named `postgres`): what the database spent, whoever
/// it served. Processes that exit between two readings take their time
/// with them, so a reading is a floor.
pub fn named_cpu(name: &str) -> anyhow::Result<f64> {
    Ok(process_stats()?
        .iter()
        .filter_map(|(_, stat)| stat_cpu_seconds(stat))
        .filter(|(found, _)| found == name)
        .map(|(_, seconds)| seconds)
        .sum())
}

/// A `kB` line of `/proc/PID/status`, in bytes.
fn status_bytes(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line
        .get(key.len()..)?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Resident memory of a process now (`VmRSS`), in bytes.
pub fn resident_memory(pid: u32) -> anyhow::Result<u64> {
    status_bytes(pid, "VmRSS:").with_context(|| format!("no VmRSS for process {pid}"))
}

/// Peak resident memory of a process (and its children), in bytes: the
/// kernel's high-water mark (`VmHWM`), summed over the family.
pub fn peak_memory(pid: u32, with_children: bool) -> anyhow::Result<u64> {
    let mut total = 0;
    for p in family(pid, with_children)? {
        total += status_bytes(p, "VmHWM:").unwrap_or(0);
    }
    Ok(total)
}

/// Resets the high-water mark to what is resident now, so that the next
/// [`peak_memory`] is the peak of what came in between. Returns whether
/// the kernel let it (writing `5` to `clear_refs` needs the process to be
/// ours).
pub fn reset_peak_memory(pid: u32, with_children: bool) -> bool {
    family(pid, with_children).is_ok_and(|pids| {
        pids.into_iter()
            .all(|p| std::fs::write(format!("/proc/{p}/clear_refs"), "5").is_ok())
    })
}

/// CPU seconds used so far by this process's threads, by thread-name prefix.
pub struct ThreadCpu(Vec<(String, f64)>);

impl ThreadCpu {
    pub fn read() -> anyhow::Result<ThreadCpu> {
        let mut threads = Vec::new();
        for entry in
            std::fs::read_dir("/proc/self/task").context("per-thread CPU needs Linux /proc")?
        {
            let path = entry?.path();
            let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
                continue;
            };
            threads.extend(stat_cpu_seconds(&stat));
        }
        Ok(ThreadCpu(threads))
    }

    pub fn get(&self, prefix: &str) -> f64 {
        self.0
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(_, s)| s)
            .sum()
    }
}
