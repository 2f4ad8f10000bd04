//! The one place that reads the wall clock. Everything else takes a [`Clock`],
//! so tests move time forward instead of sleeping through locks and timeouts.
//!
//! Two readings: the wall clock ([`Clock::now`]), for what is stored or
//! shown (expiries, locks that outlive a restart), and a monotonic count
//! ([`Clock::elapsed`]), for what only measures intervals in this process
//! (the per-IP throttle): an NTP step of the wall clock, either way, must
//! not freeze or free those.

use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

/// Seconds since the Unix epoch, UTC: the unit every stored time uses.
pub type UnixTime = i64;

pub trait Clock: Debug + Send + Sync {
    /// The wall clock.
    fn now(&self) -> UnixTime;
    /// Time since an arbitrary start in this process; never goes back.
    fn elapsed(&self) -> Duration;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(
        clippy::disallowed_methods,
        reason = "the one place that reads the wall clock"
    )]
    fn now(&self) -> UnixTime {
        OffsetDateTime::now_utc().unix_timestamp()
    }

    fn elapsed(&self) -> Duration {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed()
    }
}

/// A clock that only moves when told to; shared between a test and the app.
#[derive(Debug, Clone)]
pub struct ManualClock {
    wall: Arc<AtomicI64>,
    /// Seconds of monotonic time passed.
    passed: Arc<AtomicI64>,
}

impl ManualClock {
    pub fn starting_at(now: UnixTime) -> Self {
        Self {
            wall: Arc::new(AtomicI64::new(now)),
            passed: Arc::new(AtomicI64::new(0)),
        }
    }

    /// Time passes: both readings move forward.
    pub fn advance(&self, seconds: i64) {
        self.wall.fetch_add(seconds, Ordering::SeqCst);
        self.passed.fetch_add(seconds.max(0), Ordering::SeqCst);
    }

    /// The wall clock is set (an NTP step, either way): no time passes.
    pub fn set(&self, now: UnixTime) {
        self.wall.store(now, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixTime {
        self.wall.load(Ordering::SeqCst)
    }

    fn elapsed(&self) -> Duration {
        Duration::from_secs(u64::try_from(self.passed.load(Ordering::SeqCst)).unwrap_or(0))
    }
}

/// RFC 3339 in UTC, as answers carry times (`2026-11-22T08:00:00Z`).
pub fn rfc3339(at: UnixTime) -> String {
    OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::starting_at(1_000);
        let shared = clock.clone();
        assert_eq!(shared.now(), 1_000);
        clock.advance(1_200);
        assert_eq!(shared.now(), 2_200);
        assert_eq!(shared.elapsed(), Duration::from_secs(1_200));
        clock.set(5);
        assert_eq!(shared.now(), 5);
        assert_eq!(
            shared.elapsed(),
            Duration::from_secs(1_200),
            "a step is no time"
        );
    }

    #[test]
    fn formats_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_420_800), "2026-11-23T08:00:00Z");
    }
}
