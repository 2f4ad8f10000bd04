//! The lockout policy, as pure functions of a counter and the time.
//!
//! Every attempt is counted as a failure *before* its password is checked (a
//! reservation); a correct password then clears the counter. So however many
//! attempts arrive at once, at most `max_failures` of them reach bcrypt
//! before the lock, and the stored count is exact.
//!
//! - The attempt that makes `max_failures` in a row starts a lock of
//!   `duration`, fixed from then: attempts during the lock are refused
//!   uncounted and do not move it. When it ends the count starts again.
//! - `max_consecutive` failures in a row across locks turn password login
//!   off until a password reset or an administrator's unlock.
//! - Locks are wall-clock times (they outlive a restart). If the clock is
//!   set back, a lock never lasts more than `duration` from the moment that
//!   is noticed; set forward, it ends early (nothing to tell it by).

use crate::clock::UnixTime;
use crate::config::LockoutConfig;
use crate::model::GuardState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: i64,
    pub duration: i64,
    pub max_consecutive: i64,
}

impl LockoutPolicy {
    pub fn from_config(config: &LockoutConfig) -> Self {
        Self {
            max_failures: i64::from(config.max_failures),
            duration: i64::try_from(config.duration.as_secs()).unwrap_or(i64::MAX),
            max_consecutive: i64::from(config.max_consecutive),
        }
    }
}

/// What happens to an attempt before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Check the password. `starts_lock` / `disables`: if it is wrong, this
    /// attempt is the one that locked the account / turned password login off.
    Admitted { starts_lock: bool, disables: bool },
    /// Refused without checking: locked for `retry_after` more seconds.
    Locked { retry_after: i64 },
    /// Refused without checking: password login is off until a reset.
    Disabled,
}

/// Reserves an attempt: the counter as it stands if the password turns out
/// wrong, and whether to check it at all.
pub fn admit(state: GuardState, now: UnixTime, policy: &LockoutPolicy) -> (GuardState, Admission) {
    if state.disabled {
        return (state, Admission::Disabled);
    }
    let mut next = state;
    match state.locked_until {
        // A lock that ends further away than a whole lock: the wall clock
        // was set back. It ends a whole lock from now instead (not an hour
        // later for an hour's step).
        Some(until) if until - now > policy.duration => {
            next.locked_until = Some(now.saturating_add(policy.duration));
            return (
                next,
                Admission::Locked {
                    retry_after: policy.duration,
                },
            );
        }
        Some(until) if until > now => {
            return (
                state,
                Admission::Locked {
                    retry_after: until - now,
                },
            );
        }
        // A lock that has ended: start counting again.
        Some(_) => {
            next.locked_until = None;
            next.failures = 0;
        }
        None => {}
    }
    next.failures += 1;
    next.consecutive += 1;
    let starts_lock = next.failures >= policy.max_failures;
    let disables = next.consecutive >= policy.max_consecutive;
    if starts_lock {
        next.locked_until = Some(now.saturating_add(policy.duration));
    }
    if disables {
        next.disabled = true;
    }
    (
        next,
        Admission::Admitted {
            starts_lock,
            disables,
        },
    )
}

/// The counter after a correct password: nothing held against the account,
/// whatever it held before.
pub fn release() -> GuardState {
    GuardState::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: LockoutPolicy = LockoutPolicy {
        max_failures: 10,
        duration: 1200,
        max_consecutive: 100,
    };

    /// Runs `n` wrong attempts at `now`; returns the counter and the last admission.
    fn fail(mut state: GuardState, n: usize, now: UnixTime) -> (GuardState, Admission) {
        let mut last = Admission::Disabled;
        for _ in 0..n {
            let (next, admission) = admit(state, now, &POLICY);
            state = next;
            last = admission;
        }
        (state, last)
    }

    #[test]
    fn the_tenth_failure_locks_and_the_eleventh_is_refused() {
        let (state, last) = fail(GuardState::default(), 9, 0);
        assert_eq!(
            last,
            Admission::Admitted {
                starts_lock: false,
                disables: false
            }
        );
        let (state, tenth) = admit(state, 5, &POLICY);
        assert_eq!(
            tenth,
            Admission::Admitted {
                starts_lock: true,
                disables: false
            }
        );
        assert_eq!(state.locked_until, Some(1205));
        let (same, eleventh) = admit(state, 6, &POLICY);
        assert_eq!(eleventh, Admission::Locked { retry_after: 1199 });
        assert_eq!(same, state, "a refused attempt changes nothing");
    }

    #[test]
    fn the_lock_is_fixed_and_ends_on_time() {
        let (state, _) = fail(GuardState::default(), 10, 1000);
        // Attempts every minute during the lock do not move it.
        let mut state = state;
        for minute in 1..20 {
            let (next, admission) = admit(state, 1000 + minute * 60, &POLICY);
            assert!(matches!(admission, Admission::Locked { .. }));
            state = next;
        }
        let (_, at_end) = admit(state, 2199, &POLICY);
        assert_eq!(at_end, Admission::Locked { retry_after: 1 });
        let (after, admission) = admit(state, 2200, &POLICY);
        assert_eq!(
            admission,
            Admission::Admitted {
                starts_lock: false,
                disables: false
            }
        );
        assert_eq!(after.failures, 1);
        assert_eq!(after.consecutive, 11);
    }

    #[test]
    fn a_clock_set_back_does_not_stretch_a_lock() {
        let (locked, _) = fail(GuardState::default(), 10, 10_000);
        // The wall clock goes back an hour one minute later.
        let (rebased, admission) = admit(locked, 10_060 - 3600, &POLICY);
        assert_eq!(admission, Admission::Locked { retry_after: 1200 });
        assert_eq!(rebased.locked_until, Some(10_060 - 3600 + 1200));
        let (_, later) = admit(rebased, 10_060 - 3600 + 1200, &POLICY);
        assert!(matches!(later, Admission::Admitted { .. }));
    }

    #[test]
    fn success_clears_everything() {
        let (nine, _) = fail(GuardState::default(), 9, 0);
        assert_eq!(nine.failures, 9);
        let (state, last) = fail(release(), 9, 1);
        assert_eq!(
            last,
            Admission::Admitted {
                starts_lock: false,
                disables: false
            }
        );
        assert_eq!(state.locked_until, None);
    }

    #[test]
    fn a_hundred_in_a_row_across_locks_turn_password_login_off() {
        let mut state = GuardState::default();
        let mut now = 0;
        for cycle in 0..10 {
            let (next, last) = fail(state, 10, now);
            state = next;
            let disables = cycle == 9;
            assert_eq!(
                last,
                Admission::Admitted {
                    starts_lock: true,
                    disables
                },
                "cycle {cycle}"
            );
            now += 1201;
        }
        assert!(state.disabled);
        let (_, admission) = admit(state, now + 1_000_000, &POLICY);
        assert_eq!(admission, Admission::Disabled);
        assert_eq!(
            admit(release(), now, &POLICY).1,
            Admission::Admitted {
                starts_lock: false,
                disables: false
            }
        );
    }
}
