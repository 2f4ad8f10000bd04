//! The session timer the service worker keeps: what the toolbar badge shows
//! and when the expiry warning comes, as pure functions of the time.

use serde::{Deserialize, Serialize};

/// Under this much time left, the badge turns to the warning colour.
pub const SOON_MS: f64 = 5.0 * 60_000.0;
/// The expiry warning, by default this many minutes before the end.
pub const DEFAULT_WARN_MINUTES: u32 = 5;
/// The warning comes at least this early, and at most this early.
pub const WARN_MINUTES_RANGE: (u32, u32) = (2, 30);

/// What the worker knows of one endpoint's session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timer {
    /// When the session ends (ms since the epoch), if the server says.
    pub expires_ms: Option<f64>,
    /// The end the warning was shown for (so it shows once per end).
    pub warned_for: Option<f64>,
}

/// The toolbar badge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Badge {
    /// No session for the endpoint in use.
    LoggedOut,
    /// API keys in use: no session to count down.
    Keypair,
    /// A session whose end the server did not give.
    Open,
    /// Time left, and whether it is nearly up.
    Remaining { text: String, soon: bool },
}

impl Badge {
    pub fn text(&self) -> String {
        match self {
            Self::LoggedOut => "–".to_owned(),
            Self::Keypair => "API".to_owned(),
            Self::Open => "on".to_owned(),
            Self::Remaining { text, .. } => text.clone(),
        }
    }

    /// The badge's colour.
    pub fn color(&self) -> &'static str {
        match self {
            Self::LoggedOut => "#6e7781",
            Self::Keypair | Self::Open => "#1a7f37",
            Self::Remaining { soon: true, .. } => "#c62828",
            Self::Remaining { soon: false, .. } => "#2563eb",
        }
    }
}

/// `59m`, `1h`, `<1m`: what fits on a badge.
pub fn remaining_text(ms: f64) -> String {
    let minutes = (ms / 60_000.0).ceil().max(0.0) as u64;
    match minutes {
        0 => "<1m".to_owned(),
        1..=59 => format!("{minutes}m"),
        60..=5999 => format!("{}h", minutes / 60),
        _ => "99h+".to_owned(),
    }
}

/// The badge for the endpoint in use.
pub fn badge(now_ms: f64, logged_in: bool, keypair: bool, timer: Option<Timer>) -> Badge {
    if keypair {
        return Badge::Keypair;
    }
    if !logged_in {
        return Badge::LoggedOut;
    }
    match timer.and_then(|t| t.expires_ms) {
        Some(expires) if expires > now_ms => Badge::Remaining {
            text: remaining_text(expires - now_ms),
            soon: expires - now_ms <= SOON_MS,
        },
        Some(_) => Badge::LoggedOut,
        None => Badge::Open,
    }
}

/// The warning time the user set, kept within range.
pub fn warn_minutes(set: Option<u32>) -> u32 {
    let (low, high) = WARN_MINUTES_RANGE;
    set.unwrap_or(DEFAULT_WARN_MINUTES).clamp(low, high)
}

/// When to warn about an end.
pub fn warn_at(expires_ms: f64, warn_minutes: u32) -> f64 {
    expires_ms - f64::from(warn_minutes) * 60_000.0
}

/// Whether the warning is due now (and not shown yet for this end).
pub fn warning_due(now_ms: f64, timer: &Timer, warn_minutes: u32) -> bool {
    match timer.expires_ms {
        Some(expires) => {
            now_ms >= warn_at(expires, warn_minutes) - 1_000.0
                && now_ms < expires
                && timer.warned_for != Some(expires)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: f64 = 60_000.0;

    #[test]
    fn badge_texts() {
        assert_eq!(remaining_text(59.0 * MINUTE), "59m");
        assert_eq!(
            remaining_text(58.5 * MINUTE),
            "59m",
            "a started minute counts"
        );
        assert_eq!(remaining_text(60.0 * MINUTE + 1.0), "1h");
        assert_eq!(remaining_text(23.9 * 60.0 * MINUTE), "23h");
        assert_eq!(remaining_text(0.0), "<1m");
        assert_eq!(remaining_text(1e12), "99h+");
    }

    #[test]
    fn the_badge_follows_the_session() {
        let timer = |end: f64| {
            Some(Timer {
                expires_ms: Some(end),
                warned_for: None,
            })
        };
        assert_eq!(badge(0.0, false, false, None), Badge::LoggedOut);
        assert_eq!(badge(0.0, false, true, None), Badge::Keypair);
        assert_eq!(badge(0.0, true, false, None), Badge::Open);
        let calm = badge(0.0, true, false, timer(30.0 * MINUTE));
        assert_eq!(
            calm,
            Badge::Remaining {
                text: "30m".into(),
                soon: false
            }
        );
        let soon = badge(0.0, true, false, timer(4.0 * MINUTE));
        assert_eq!(
            soon,
            Badge::Remaining {
                text: "4m".into(),
                soon: true
            }
        );
        assert_ne!(calm.color(), soon.color());
        assert_eq!(
            badge(10.0, true, false, timer(5.0)),
            Badge::LoggedOut,
            "past its end"
        );
        assert_ne!(Badge::LoggedOut.color(), calm.color());
    }

    #[test]
    fn the_warning_comes_once_per_end_and_in_range() {
        assert_eq!(warn_minutes(None), DEFAULT_WARN_MINUTES);
        assert_eq!(warn_minutes(Some(1)), 2, "at least 2 minutes before");
        assert_eq!(warn_minutes(Some(90)), 30);
        let mut timer = Timer {
            expires_ms: Some(60.0 * MINUTE),
            warned_for: None,
        };
        assert!(!warning_due(50.0 * MINUTE, &timer, 5));
        assert!(warning_due(55.0 * MINUTE, &timer, 5));
        timer.warned_for = timer.expires_ms;
        assert!(!warning_due(56.0 * MINUTE, &timer, 5), "once");
        timer.expires_ms = Some(120.0 * MINUTE);
        assert!(
            warning_due(115.0 * MINUTE, &timer, 5),
            "again for a new end"
        );
        assert!(!warning_due(121.0 * MINUTE, &timer, 5), "not after the end");
    }
}
