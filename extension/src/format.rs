//! How the popup writes times, spans, sizes and clients: pure functions
//! (but for the date, which the browser formats), tested natively.

use crate::platform::{clock, i18n};

/// `1:05:09`, `5:09`, `0:09`: what is left of a span in milliseconds.
pub fn format_remaining(ms: f64) -> String {
    let seconds = (ms / 1000.0).ceil().max(0.0) as u64;
    let (hours, minutes, seconds) = (seconds / 3600, (seconds / 60) % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes}:{seconds:02}")
    }
}

/// `1.5 GiB` and the like. (Integer arithmetic: float formatting would add
/// kilobytes of code to the popup for one decimal.)
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut unit = 0;
    let mut scale: u64 = 1;
    while bytes / scale >= 1024 && unit < UNITS.len() - 1 {
        scale *= 1024;
        unit += 1;
    }
    if unit == 0 {
        return format!("{bytes} B");
    }
    // Tenths, rounded to nearest.
    let tenths = (u128::from(bytes) * 10 + u128::from(scale) / 2) / u128::from(scale);
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}

/// Whole seconds in a span of milliseconds, rounded (for `data-remaining`).
pub fn whole_seconds(ms: f64) -> i64 {
    (ms / 1000.0).round() as i64
}

/// A moment (ms since the epoch) in the language in use and the browser's
/// time zone.
pub fn format_time(ms: f64) -> String {
    clock::local_date_time(ms, &i18n::ui_language())
}

/// A short name for the client behind a user agent: "Chrome on Linux",
/// "Backend.AI client". Browser and system names are not translated.
pub fn describe_client(user_agent: &str) -> Option<String> {
    let ua = user_agent.trim();
    if ua.is_empty() {
        return None;
    }
    let lower = ua.to_ascii_lowercase();
    if lower.contains("backend.ai") || lower.starts_with("python") || lower.contains("aiohttp") {
        return Some("Backend.AI client".to_owned());
    }
    let browser = [
        ("edg/", "Edge"),
        ("opr/", "Opera"),
        ("firefox/", "Firefox"),
        ("chromium/", "Chromium"),
        ("chrome/", "Chrome"),
        ("safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .into_iter()
    .find(|(marker, _)| lower.contains(marker))
    .map(|(_, name)| name);
    let system = [
        ("android", "Android"),
        ("iphone", "iOS"),
        ("ipad", "iPadOS"),
        ("windows", "Windows"),
        ("mac os x", "macOS"),
        ("cros", "ChromeOS"),
        ("linux", "Linux"),
    ]
    .into_iter()
    .find(|(marker, _)| lower.contains(marker))
    .map(|(_, name)| name);
    Some(match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} · {system}"),
        (Some(name), None) | (None, Some(name)) => name.to_owned(),
        // Something else: its own first word, bounded.
        (None, None) => ua
            .split_whitespace()
            .next()
            .unwrap_or(ua)
            .chars()
            .take(32)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_time() {
        assert_eq!(format_remaining(0.0), "0:00");
        assert_eq!(format_remaining(-5.0), "0:00");
        assert_eq!(format_remaining(999.0), "0:01", "a started second counts");
        assert_eq!(format_remaining(65_000.0), "1:05");
        assert_eq!(format_remaining(1_199_000.0), "19:59");
        assert_eq!(format_remaining(3_909_000.0), "1:05:09");
    }

    #[test]
    fn clients_by_user_agent() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
                Some("Chrome · Linux"),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36 Edg/120",
                Some("Edge · Windows"),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0; rv:120.0) Gecko/20100101 Firefox/120.0",
                Some("Firefox · macOS"),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1",
                Some("Safari · iOS"),
            ),
            ("Python/3.11 aiohttp/3.9.1", Some("Backend.AI client")),
            (
                "Backend.AI Client for Python 23.9.10",
                Some("Backend.AI client"),
            ),
            ("curl/8.5.0", Some("curl")),
            ("SomethingElse/1.0 (x)", Some("SomethingElse/1.0")),
            ("  ", None),
        ];
        for (ua, expected) in cases {
            assert_eq!(describe_client(ua).as_deref(), expected, "{ua}");
        }
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(8 * 1024 * 1024 * 1024), "8.0 GiB");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(
            format_bytes(1024 * 1024 - 1),
            "1024.0 KiB",
            "rounds up, stays in its unit"
        );
        assert_eq!(format_bytes(978_321_408), "933.0 MiB");
        assert_eq!(format_bytes(u64::MAX), "16777216.0 TiB");
        assert_eq!(whole_seconds(1_199_600.0), 1200);
    }
}
