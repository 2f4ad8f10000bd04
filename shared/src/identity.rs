//! Account identities: emails and usernames, how they are checked and how they
//! are made canonical so that every spelling of one name finds one account.
//!
//! Canonical form: surrounding whitespace trimmed, Unicode NFKC (so full-width
//! and compatibility forms fold to their plain letters), lower-cased, NFKC again
//! (lower-casing can leave non-normalised sequences). Invisible format
//! characters (zero-width joiners, bidi overrides) and control characters are
//! refused rather than stripped: a name that looks like another must not become
//! a second account, nor silently the same one.

use thiserror::Error;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// The longest username accepted, in characters (the WebUI's field limit).
pub const USERNAME_MAX_CHARS: usize = 64;
/// The longest email address accepted, in characters (RFC 5321 path limit).
pub const EMAIL_MAX_CHARS: usize = 254;

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdentityError {
    #[error("must not be empty")]
    Empty,
    #[error("is longer than {max} characters")]
    TooLong { max: usize },
    #[error("contains an invisible or control character (U+{codepoint:04X})")]
    HiddenCharacter { codepoint: u32 },
    #[error("is not a valid email address")]
    InvalidEmail,
    #[error(
        "may contain only letters, digits, '.', '_' and '-' (or be the account's own email address)"
    )]
    InvalidUsernameCharacter,
    #[error("must not start with a combining mark (U+{codepoint:04X})")]
    LeadingMark { codepoint: u32 },
}

/// Checks for characters that render as nothing or reorder text.
fn refuse_hidden(raw: &str) -> Result<(), IdentityError> {
    for c in raw.chars() {
        let hidden = matches!(
            c.general_category(),
            GeneralCategory::Control
                | GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
                | GeneralCategory::PrivateUse
                | GeneralCategory::Surrogate
                | GeneralCategory::Unassigned
        );
        if hidden {
            return Err(IdentityError::HiddenCharacter {
                codepoint: u32::from(c),
            });
        }
    }
    Ok(())
}

/// The canonical form of any identifier a user types to log in (email or
/// username). Errors only for hidden characters or an empty name; whether the
/// name exists is for the store to say.
///
/// Folding comes first and trimming last, because NFKC can itself produce
/// spaces (U+0385 `΅` becomes a space and two marks): so applying it to its
/// own result changes nothing. A name that would then start with a combining
/// mark is refused, as it has no letter to carry the mark.
pub fn canonical_identifier(raw: &str) -> Result<String, IdentityError> {
    let folded: String = raw
        .nfkc()
        .collect::<String>()
        .to_lowercase()
        .nfkc()
        .collect();
    let trimmed = folded.trim();
    if trimmed.is_empty() {
        return Err(IdentityError::Empty);
    }
    refuse_hidden(trimmed)?;
    if let Some(first) = trimmed.chars().next()
        && matches!(
            first.general_category(),
            GeneralCategory::NonspacingMark
                | GeneralCategory::SpacingMark
                | GeneralCategory::EnclosingMark
        )
    {
        return Err(IdentityError::LeadingMark {
            codepoint: u32::from(first),
        });
    }
    Ok(trimmed.to_owned())
}

/// A validated email address: the form to display and the canonical form to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub display: String,
    pub canonical: String,
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        let canonical = canonical_identifier(raw)?;
        if canonical.chars().count() > EMAIL_MAX_CHARS {
            return Err(IdentityError::TooLong {
                max: EMAIL_MAX_CHARS,
            });
        }
        if canonical.chars().any(char::is_whitespace)
            || !email_address::EmailAddress::is_valid(&canonical)
            || !canonical.contains('.')
        {
            return Err(IdentityError::InvalidEmail);
        }
        Ok(Self {
            display: raw.trim().nfc().collect(),
            canonical,
        })
    }

    /// The part before the last `@`, canonical.
    pub fn local_part(&self) -> &str {
        self.canonical
            .rsplit_once('@')
            .map_or(self.canonical.as_str(), |(local, _)| local)
    }
}

/// A validated username: the form to display and the canonical form to match.
///
/// A username is letters, digits, `.`, `_` and `-`, or exactly the account's own
/// email address. The second form keeps usernames and emails from colliding:
/// a name with `@` can only ever belong to the account with that email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username {
    pub display: String,
    pub canonical: String,
}

impl Username {
    pub fn parse(raw: &str, own_email: &Email) -> Result<Self, IdentityError> {
        let canonical = canonical_identifier(raw)?;
        if canonical.chars().count() > USERNAME_MAX_CHARS {
            return Err(IdentityError::TooLong {
                max: USERNAME_MAX_CHARS,
            });
        }
        let plain = canonical
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !plain && canonical != own_email.canonical {
            return Err(IdentityError::InvalidUsernameCharacter);
        }
        Ok(Self {
            display: raw.trim().nfc().collect(),
            canonical,
        })
    }

    /// The username Backend.AI gives an account created without one: its email.
    pub fn from_email(email: &Email) -> Self {
        Self {
            display: email.display.clone(),
            canonical: email.canonical.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_fold_to_one_canonical_name() {
        let cases = [
            ("alice", "alice"),
            ("  Alice ", "alice"),
            ("ALICE@Example.COM", "alice@example.com"),
            ("Ａｌｉｃｅ", "alice"),
            ("\u{212A}elly", "kelly"),
            ("ｊｏｈｎ", "john"),
            ("Ǆemal", "džemal"),
            ("사용자", "사용자"),
            ("ﾕｰｻﾞｰ", "ユーザー"),
        ];
        for (raw, expected) in cases {
            assert_eq!(canonical_identifier(raw).unwrap(), expected, "{raw:?}");
        }
    }

    #[test]
    fn hidden_characters_are_refused() {
        let cases = [
            "al\u{200D}ice",
            "al\u{200B}ice",
            "\u{202E}ecila",
            "alice\u{2066}",
            "ali\u{00AD}ce",
            "al\u{0000}ice",
            "al\nice",
            "\u{FEFF}alice",
            "al\u{E000}ice",
        ];
        for raw in cases {
            assert!(
                matches!(
                    canonical_identifier(raw),
                    Err(IdentityError::HiddenCharacter { .. })
                ),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn empty_names_are_refused() {
        for raw in ["", "   ", "\t"] {
            assert_eq!(canonical_identifier(raw), Err(IdentityError::Empty));
        }
    }

    #[test]
    fn emails() {
        let ok = [
            ("user@example.com", "user@example.com"),
            ("User.Name+tag@Example.co.kr", "user.name+tag@example.co.kr"),
            ("ｕｓｅｒ@example.com", "user@example.com"),
        ];
        for (raw, canonical) in ok {
            assert_eq!(Email::parse(raw).unwrap().canonical, canonical, "{raw}");
        }
        let bad = [
            "user",
            "user@",
            "@example.com",
            "user@localhost",
            "us er@example.com",
            "user@@example.com",
        ];
        for raw in bad {
            assert!(Email::parse(raw).is_err(), "{raw}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(
            Email::parse(&long),
            Err(IdentityError::TooLong {
                max: EMAIL_MAX_CHARS
            })
        );
    }

    #[test]
    fn usernames() {
        let email = Email::parse("Alice@Example.com").unwrap();
        let ok = [
            ("alice", "alice"),
            ("Alice_Kim-2.0", "alice_kim-2.0"),
            ("김철수", "김철수"),
            ("alice@example.com", "alice@example.com"),
            ("ALICE@EXAMPLE.COM", "alice@example.com"),
        ];
        for (raw, canonical) in ok {
            assert_eq!(
                Username::parse(raw, &email).unwrap().canonical,
                canonical,
                "{raw}"
            );
        }
        let bad = [
            ("bob@example.com", IdentityError::InvalidUsernameCharacter),
            ("alice smith", IdentityError::InvalidUsernameCharacter),
            ("alice!", IdentityError::InvalidUsernameCharacter),
            (
                &"a".repeat(65) as &str,
                IdentityError::TooLong {
                    max: USERNAME_MAX_CHARS,
                },
            ),
        ];
        for (raw, error) in bad {
            assert_eq!(Username::parse(raw, &email), Err(error), "{raw}");
        }
    }

    #[test]
    fn email_local_part() {
        let email = Email::parse("First.Last@example.com").unwrap();
        assert_eq!(email.local_part(), "first.last");
    }

    /// Found by fuzzing: NFKC turned `΅·` into a leading space and marks, so
    /// the canonical form of the canonical form differed.
    #[test]
    fn folding_twice_changes_nothing() {
        for raw in [
            "\u{385}\u{387}",
            " \u{385}a",
            "Ａｌｉｃｅ",
            "ALICE@Example.COM",
            "ﬁle",
            "Ⅻ",
        ] {
            if let Ok(once) = canonical_identifier(raw) {
                assert_eq!(
                    canonical_identifier(&once).as_deref(),
                    Ok(once.as_str()),
                    "{raw:?}"
                );
            }
        }
        assert!(matches!(
            canonical_identifier("\u{385}\u{387}"),
            Err(IdentityError::LeadingMark { .. })
        ));
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        #[test]
        fn canonical_names_are_fixed_points(raw in "\\PC{0,24}") {
            if let Ok(once) = canonical_identifier(&raw) {
                proptest::prop_assert_eq!(canonical_identifier(&once), Ok(once.clone()));
                proptest::prop_assert_eq!(once.trim(), once.as_str());
            }
        }

        /// Names map to accounts by their canonical form: two spellings share an
        /// account exactly when their canonical forms are equal, and that
        /// equality survives folding again (no two canonical names collapse later).
        #[test]
        fn distinct_canonical_names_stay_distinct(a in "\\PC{0,12}", b in "\\PC{0,12}") {
            if let (Ok(ca), Ok(cb)) = (canonical_identifier(&a), canonical_identifier(&b)) {
                let again = (canonical_identifier(&ca), canonical_identifier(&cb));
                proptest::prop_assert_eq!(ca == cb, again.0 == again.1);
            }
        }
    }
}
