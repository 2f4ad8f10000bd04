//! A per-client-IP limit in front of every route that checks a credential or
//! sends mail: refused (429 `rate-limit-exceeded`) before any work is done.
//! GCRA from `governor`, timed by the injected clock's monotonic reading,
//! so a step of the wall clock neither freezes nor frees anyone.
//!
//! A handler declares the limit by taking [`Throttled`] as its first
//! argument: it runs before the other extractors, so a refused request
//! costs no body read and no lookup.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::Clock as GovernorClock;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use poem::{FromRequest, Request, RequestBody};

use super::app_state;
use super::client::client_ip;
use super::problem::ApiError;
use crate::clock::Clock;

/// Our clock, as governor reads time.
#[derive(Debug, Clone)]
pub struct ThrottleClock(pub Arc<dyn Clock>);

impl GovernorClock for ThrottleClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

type Limiter = RateLimiter<
    IpAddr,
    DashMapStateStore<IpAddr>,
    ThrottleClock,
    governor::middleware::NoOpMiddleware<Duration>,
>;

/// The shared limiter; `None` when the throttle is off.
#[derive(Debug, Clone)]
pub struct Throttle(Option<Arc<Limiter>>);

impl Throttle {
    pub fn new(per_minute: u32, clock: Arc<dyn Clock>) -> Self {
        Self(NonZeroU32::new(per_minute).map(|n| {
            Arc::new(RateLimiter::new(
                Quota::per_minute(n),
                DashMapStateStore::default(),
                ThrottleClock(clock),
            ))
        }))
    }

    /// Seconds to wait if `ip` is over its limit now, else `None` (and the
    /// request is counted).
    fn check(&self, ip: IpAddr) -> Option<u64> {
        let limiter = self.0.as_ref()?;
        limiter.check_key(&ip).err().map(|not_until| {
            let clock = limiter.clock();
            not_until
                .wait_time_from(governor::clock::Clock::now(clock))
                .as_secs()
                .max(1)
        })
    }

    /// Forgets addresses whose limit has fully recovered (bounds memory).
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.0 {
            limiter.retain_recent();
        }
    }
}

/// The per-client-IP limit, passed (or the request is refused with 429).
#[derive(Debug)]
pub struct Throttled;

impl<'a> FromRequest<'a> for Throttled {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let throttle = &app_state(req)?.throttle;
        if let Some(ip) = client_ip(req)
            && let Some(wait) = throttle.check(ip)
        {
            tracing::info!(%ip, path = req.uri().path(), "request refused: per-IP limit");
            return Err(ApiError::rate_limited(wait).into());
        }
        Ok(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn allows_the_quota_then_refuses_until_time_passes() {
        let clock = ManualClock::starting_at(1_000);
        let throttle = Throttle::new(3, Arc::new(clock.clone()));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(throttle.check(a), None);
        }
        let wait = throttle.check(a).unwrap();
        assert!((1..=20).contains(&wait), "{wait}");
        assert_eq!(throttle.check(b), None, "other addresses are not affected");
        clock.advance(20);
        assert_eq!(throttle.check(a), None);
        assert!(
            Throttle::new(0, Arc::new(clock.clone())).check(a).is_none(),
            "0 turns it off"
        );
    }

    /// A wall clock stepped back an hour (NTP) must not refuse everyone who
    /// used the throttle before, nor a step forward free a spent quota.
    #[test]
    fn wall_clock_steps_change_nothing() {
        let clock = ManualClock::starting_at(100_000);
        let throttle = Throttle::new(3, Arc::new(clock.clone()));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(throttle.check(a), None);
        clock.set(100_000 - 3600);
        assert_eq!(
            throttle.check(a),
            None,
            "after a step back, the quota is still there"
        );
        assert_eq!(throttle.check(a), None);
        assert!(throttle.check(a).is_some(), "…and spent");
        clock.set(100_000 + 3600);
        assert!(throttle.check(a).is_some(), "a step forward frees nothing");
    }
}
