//! The standard `process_*` metrics (CPU, memory, file descriptors, start
//! time), read from `/proc` by the `procfs` crate at each scrape, under the
//! names every Prometheus client library uses so that stock dashboards work.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};

pub(super) fn register(registry: &mut Registry) {
    registry.register_collector(Box::new(Process));
}

#[derive(Debug)]
struct Process;

impl Collector for Process {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        // A platform without /proc, or a read that fails, leaves them out:
        // the rest of the scrape matters more.
        let Some(sample) = sample() else {
            return Ok(());
        };
        let counter = ConstCounter::new(sample.cpu_seconds);
        counter.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds",
            None,
            counter.metric_type(),
        )?)?;
        let gauges = [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                sample.resident_bytes,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                sample.virtual_bytes,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors",
                sample.open_fds,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors",
                sample.max_fds,
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds",
                sample.start_time_seconds,
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(
                name,
                help,
                None::<&Unit>,
                gauge.metric_type(),
            )?)?;
        }
        Ok(())
    }
}

struct Sample {
    cpu_seconds: f64,
    resident_bytes: i64,
    virtual_bytes: i64,
    open_fds: i64,
    max_fds: i64,
    start_time_seconds: i64,
}

#[cfg(target_os = "linux")]
fn sample() -> Option<Sample> {
    use procfs::CurrentSI;
    use procfs::process::{LimitValue, Process};
    let me = Process::myself().ok()?;
    let stat = me.stat().ok()?;
    let ticks = procfs::ticks_per_second() as f64;
    let page = procfs::page_size();
    let max_fds = match me.limits().ok()?.max_open_files.soft_limit {
        LimitValue::Value(n) => i64::try_from(n).unwrap_or(i64::MAX),
        LimitValue::Unlimited => -1,
    };
    // The kernel counts the start in ticks since boot.
    let boot = procfs::KernelStats::current().ok()?.btime;
    let started = boot as f64 + stat.starttime as f64 / ticks;
    Some(Sample {
        cpu_seconds: (stat.utime + stat.stime) as f64 / ticks,
        resident_bytes: i64::try_from(stat.rss.saturating_mul(page)).unwrap_or(i64::MAX),
        virtual_bytes: i64::try_from(stat.vsize).unwrap_or(i64::MAX),
        open_fds: i64::try_from(me.fd_count().ok()?).unwrap_or(i64::MAX),
        max_fds,
        start_time_seconds: started as i64,
    })
}

#[cfg(not(target_os = "linux"))]
fn sample() -> Option<Sample> {
    None
}
