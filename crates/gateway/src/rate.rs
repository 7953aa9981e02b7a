//! Per-client rate limiting on the whole API: a token bucket per client
//! (the signed-in user, else the network address), refilled continuously.
//! Buckets live in this instance's memory: with several instances behind a
//! balancer, each enforces the limit on the requests it receives.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// Buckets kept before full ones (idle clients) are forgotten.
const PRUNE_AT: usize = 50_000;

#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// `per_minute` requests a minute on average, up to `burst` at once.
    pub(crate) fn new(per_minute: u32, burst: u32) -> Self {
        RateLimiter {
            per_second: f64::from(per_minute.max(1)) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `client` at `now`; when none is left, how many
    /// whole seconds until one is.
    pub(crate) fn take(&self, client: &str, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= PRUNE_AT {
            let (per_second, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| refilled(*b, now, per_second, burst) < burst);
        }
        let bucket = buckets.entry(client.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let tokens = refilled(*bucket, now, self.per_second, self.burst);
        if tokens >= 1.0 {
            *bucket = Bucket {
                tokens: tokens - 1.0,
                at: now,
            };
            Ok(())
        } else {
            *bucket = Bucket { tokens, at: now };
            let wait = (1.0 - tokens) / self.per_second;
            // A wait of a fraction of a second is announced as one second.
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

fn refilled(bucket: Bucket, now: Instant, per_second: f64, burst: f64) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
    (bucket.tokens + elapsed * per_second).min(burst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_rate() {
        let limiter = RateLimiter::new(60, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take("a", start), Ok(()));
        }
        assert_eq!(limiter.take("a", start), Err(1));
        // Another client has its own bucket.
        assert_eq!(limiter.take("b", start), Ok(()));
        // One a second refills.
        let later = start + Duration::from_millis(1000);
        assert_eq!(limiter.take("a", later), Ok(()));
        assert_eq!(limiter.take("a", later), Err(1));
        // Never more than the burst, however long the wait.
        let much_later = start + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(limiter.take("a", much_later), Ok(()));
        }
        assert!(limiter.take("a", much_later).is_err());
    }

    #[test]
    fn retry_after_counts_whole_seconds() {
        let limiter = RateLimiter::new(6, 1);
        let start = Instant::now();
        assert_eq!(limiter.take("a", start), Ok(()));
        assert_eq!(limiter.take("a", start), Err(10));
    }
}
