//! The languages of the companion's mails and pages: English, Korean, Japanese.

/// A supported language; English is the fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Ko,
    Ja,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Ko, Lang::Ja];

    /// The BCP 47 primary tag.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ko => "ko",
            Self::Ja => "ja",
        }
    }

    /// The language's own name, for a language switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Ko => "한국어",
            Self::Ja => "日本語",
        }
    }

    /// A supported language from a tag such as `ko`, `ko-KR`, `ja_JP`.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "ko" => Some(Self::Ko),
            "ja" => Some(Self::Ja),
            _ => None,
        }
    }

    /// The best supported language of an `Accept-Language` header, honouring
    /// q-values; English when none is supported.
    pub fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (position, item) in header.split(',').enumerate() {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let Some(lang) = Self::from_tag(tag) else {
                continue;
            };
            if quality <= 0.0 {
                continue;
            }
            let better = match best {
                None => true,
                // Higher quality wins; on a tie, the earlier entry.
                Some((q, p, _)) => quality > q || (quality == q && position < p),
            };
            if better {
                best = Some((quality, position, lang));
            }
        }
        best.map_or(Self::En, |(_, _, lang)| lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_table() {
        let cases = [
            ("", Lang::En),
            ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", Lang::Ko),
            ("ja", Lang::Ja),
            ("fr-FR, ja;q=0.5, ko;q=0.4", Lang::Ja),
            ("de, fr", Lang::En),
            ("en;q=0.1, ko;q=0.9", Lang::Ko),
            ("ko;q=0, ja;q=0.2", Lang::Ja),
            ("KO_kr", Lang::Ko),
            ("ko;q=nonsense", Lang::Ko),
            ("*", Lang::En),
        ];
        for (header, expected) in cases {
            assert_eq!(Lang::from_accept_language(header), expected, "{header:?}");
        }
    }
}
