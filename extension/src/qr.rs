//! QR codes for `otpauth://` URIs, drawn as one SVG path in the popup (so
//! 2FA setup works with any endpoint, not only ones that send an image).

use qrcode::{Color, QrCode};

/// Light modules around the code, as the standard asks.
const QUIET_ZONE: usize = 4;

/// A QR code as an SVG path of its dark modules, in a square of `size`
/// units (quiet zone included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPath {
    pub size: usize,
    pub path: String,
}

/// Encodes `text`; `None` if it does not fit in a QR code.
pub fn encode(text: &str) -> Option<QrPath> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let mut path = String::new();
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] != Color::Dark {
                x += 1;
                continue;
            }
            // One rectangle per run of dark modules keeps the path short.
            let run = row[x..].iter().take_while(|c| **c == Color::Dark).count();
            path.push_str(&format!(
                "M{} {}h{run}v1h-{run}z",
                x + QUIET_ZONE,
                y + QUIET_ZONE
            ));
            x += run;
        }
    }
    Some(QrPath {
        size: width + 2 * QUIET_ZONE,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_otpauth_uri_becomes_a_path() {
        let uri = "otpauth://totp/baigate:alice%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=baigate";
        let qr = encode(uri).unwrap();
        // Version 5 or so: 37 modules plus the quiet zone.
        assert!(
            (29..=45).contains(&(qr.size - 2 * QUIET_ZONE)),
            "{}",
            qr.size
        );
        assert!(
            qr.path
                .starts_with(&format!("M{QUIET_ZONE} {QUIET_ZONE}h7v1h-7z")),
            "the finder pattern's top row"
        );
        // The same text always gives the same code.
        assert_eq!(encode(uri), Some(qr));
    }

    /// Drawing the path back module by module gives the code's own modules.
    #[test]
    fn the_path_draws_exactly_the_dark_modules() {
        let text = "otpauth://totp/x?secret=ABCDEFGHIJKLMNOP";
        let code = QrCode::new(text.as_bytes()).unwrap();
        let width = code.width();
        let qr = encode(text).unwrap();
        let mut drawn = vec![false; width * width];
        for rect in qr.path.split('M').filter(|r| !r.is_empty()) {
            // "x yhRUNv1h-RUNz"
            let (xy, rest) = rect.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let run: usize = rest.split('v').next().unwrap().parse().unwrap();
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            for dx in 0..run {
                drawn[(y - QUIET_ZONE) * width + x - QUIET_ZONE + dx] = true;
            }
        }
        let expected: Vec<bool> = code.to_colors().iter().map(|c| *c == Color::Dark).collect();
        assert_eq!(drawn, expected);
    }

    #[test]
    fn too_much_text_does_not_fit() {
        assert!(encode(&"x".repeat(5000)).is_none());
    }
}
