//! The password policy: one set of rules that the companion enforces and the
//! popup shows as a live checklist (it fetches the policy as JSON from
//! `/companion/password-policy` and runs [`PasswordPolicy::check`] itself).
//!
//! Default = the Backend.AI manual's rule (at least 8 characters with a letter,
//! a digit and a special character), plus what a careful server adds: at most
//! 72 bytes (bcrypt's input limit; longer passwords are refused, never cut),
//! not a known common password, not the account's own name or email.
//!
//! Passwords are compared in Unicode NFC, so a composed and a decomposed "é"
//! are the same password; nothing else about them is changed. (That needs the
//! `unicode` feature, which the companion builds with; the popup's advisory
//! checklist does without, to stay small, and folds ASCII case only.)

use std::fmt;

use serde::{Deserialize, Serialize};
#[cfg(feature = "unicode")]
use unicode_normalization::UnicodeNormalization;

/// The most bytes bcrypt reads; anything longer would be silently truncated.
pub const BCRYPT_MAX_BYTES: usize = 72;

/// The password rules. Serialised as the policy document clients read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[serde(deny_unknown_fields, default)]
pub struct PasswordPolicy {
    /// Fewest characters (Unicode code points, after NFC).
    pub min_length: usize,
    /// Most bytes of UTF-8 (after NFC); never above [`BCRYPT_MAX_BYTES`].
    pub max_bytes: usize,
    pub require_letter: bool,
    pub require_digit: bool,
    pub require_special: bool,
    /// Refuse passwords on the shipped list of common passwords.
    pub reject_common: bool,
    /// Refuse the account's own username, email, or the email's local part.
    pub reject_identity: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 8,
            max_bytes: BCRYPT_MAX_BYTES,
            require_letter: true,
            require_digit: true,
            require_special: true,
            reject_common: true,
            reject_identity: true,
        }
    }
}

/// One rule of the policy; the wire form is kebab-case (`min-length`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
#[cfg_attr(feature = "openapi", oai(rename_all = "kebab-case"))]
#[serde(rename_all = "kebab-case")]
pub enum PasswordRule {
    MinLength,
    MaxBytes,
    NoControlCharacters,
    Letter,
    Digit,
    Special,
    NotCommon,
    NotIdentity,
}

/// How one rule fared for one password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleOutcome {
    Passed,
    Failed,
    /// This build cannot decide the rule (the popup has no common-password
    /// list); the server decides it on submit.
    Unchecked,
}

/// One line of the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCheck {
    pub rule: PasswordRule,
    pub outcome: RuleOutcome,
}

/// Who the password is for, so it can be refused when it is their own name.
#[derive(Debug, Clone, Copy, Default)]
pub struct PasswordContext<'a> {
    pub username: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// The rules a password broke, in checklist order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyViolation {
    pub failed: Vec<PasswordRule>,
    policy: PasswordPolicy,
}

impl PolicyViolation {
    /// One sentence naming every broken rule, for answers and CLI errors.
    pub fn message(&self) -> String {
        let parts: Vec<String> = self
            .failed
            .iter()
            .map(|rule| self.policy.describe(*rule))
            .collect();
        format!(
            "The password does not meet the policy: {}.",
            parts.join("; ")
        )
    }
}

impl fmt::Display for PolicyViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for PolicyViolation {}

/// What `/companion/password-policy` answers: the rules, and an English
/// description of each in checklist order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct PasswordPolicyDocument {
    pub policy: PasswordPolicy,
    pub rules: Vec<RuleDescription>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct RuleDescription {
    pub rule: PasswordRule,
    pub description: String,
}

impl PasswordPolicyDocument {
    pub fn new(policy: &PasswordPolicy) -> Self {
        Self {
            rules: policy
                .rules()
                .into_iter()
                .map(|rule| RuleDescription {
                    rule,
                    description: policy.describe(rule),
                })
                .collect(),
            policy: policy.clone(),
        }
    }
}

/// The form a password is hashed and compared in.
#[cfg(feature = "unicode")]
pub fn normalize_password(password: &str) -> String {
    password.nfc().collect()
}

/// The form a password is checked in (without the `unicode` feature: as typed).
#[cfg(not(feature = "unicode"))]
pub fn normalize_password(password: &str) -> String {
    password.to_owned()
}

/// A name folded for comparison with a password.
#[cfg(feature = "unicode")]
fn folded(name: &str) -> Option<String> {
    crate::identity::canonical_identifier(name).ok()
}

/// A name folded for comparison with a password (without the `unicode`
/// feature: trimmed, ASCII case folded).
#[cfg(not(feature = "unicode"))]
fn folded(name: &str) -> Option<String> {
    let trimmed = name.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_ascii_lowercase())
}

/// A special character, as the WebUI counts it: anything not a letter or digit.
fn is_special(c: char) -> bool {
    !c.is_alphanumeric()
}

impl PasswordPolicy {
    /// The rules this policy applies, in the order a checklist shows them.
    pub fn rules(&self) -> Vec<PasswordRule> {
        let mut rules = vec![
            PasswordRule::MinLength,
            PasswordRule::MaxBytes,
            PasswordRule::NoControlCharacters,
        ];
        if self.require_letter {
            rules.push(PasswordRule::Letter);
        }
        if self.require_digit {
            rules.push(PasswordRule::Digit);
        }
        if self.require_special {
            rules.push(PasswordRule::Special);
        }
        if self.reject_common {
            rules.push(PasswordRule::NotCommon);
        }
        if self.reject_identity {
            rules.push(PasswordRule::NotIdentity);
        }
        rules
    }

    /// An English description of a rule (the popup has its own translations).
    pub fn describe(&self, rule: PasswordRule) -> String {
        match rule {
            PasswordRule::MinLength => format!("at least {} characters", self.min_length),
            PasswordRule::MaxBytes => format!(
                "at most {} bytes (about {} letters of a Latin alphabet, fewer of others)",
                self.max_bytes, self.max_bytes
            ),
            PasswordRule::NoControlCharacters => "no control characters".to_owned(),
            PasswordRule::Letter => "at least one letter".to_owned(),
            PasswordRule::Digit => "at least one digit".to_owned(),
            PasswordRule::Special => "at least one special character".to_owned(),
            PasswordRule::NotCommon => "not a commonly used password".to_owned(),
            PasswordRule::NotIdentity => {
                "not your username, email address or this service's name".to_owned()
            }
        }
    }

    /// Evaluates every rule for a password.
    pub fn check(&self, password: &str, context: PasswordContext<'_>) -> Vec<RuleCheck> {
        let normalized = normalize_password(password);
        self.rules()
            .into_iter()
            .map(|rule| RuleCheck {
                rule,
                outcome: self.outcome(rule, &normalized, context),
            })
            .collect()
    }

    /// Ok when no rule failed. Rules this build cannot decide do not fail here.
    pub fn validate(
        &self,
        password: &str,
        context: PasswordContext<'_>,
    ) -> Result<(), PolicyViolation> {
        let failed: Vec<PasswordRule> = self
            .check(password, context)
            .into_iter()
            .filter(|check| check.outcome == RuleOutcome::Failed)
            .map(|check| check.rule)
            .collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(PolicyViolation {
                failed,
                policy: self.clone(),
            })
        }
    }

    fn outcome(
        &self,
        rule: PasswordRule,
        password: &str,
        context: PasswordContext<'_>,
    ) -> RuleOutcome {
        let passed = match rule {
            PasswordRule::MinLength => password.chars().count() >= self.min_length,
            PasswordRule::MaxBytes => password.len() <= self.max_bytes.min(BCRYPT_MAX_BYTES),
            PasswordRule::NoControlCharacters => !password.chars().any(char::is_control),
            PasswordRule::Letter => password.chars().any(char::is_alphabetic),
            PasswordRule::Digit => password.chars().any(char::is_numeric),
            PasswordRule::Special => password.chars().any(is_special),
            PasswordRule::NotCommon => return common_outcome(password),
            PasswordRule::NotIdentity => !matches_identity(password, context),
        };
        if passed {
            RuleOutcome::Passed
        } else {
            RuleOutcome::Failed
        }
    }
}

/// Words a password of this service must not be made of: its own names
/// (ASVS 6.2.11, context-specific words).
pub const SERVICE_WORDS: [&str; 6] = [
    "baigate",
    "backendai",
    "backend",
    "companion",
    "lablup",
    "webui",
];

/// Only the letters of a folded text: `Backend.AI2024!` reads as `backendai`.
fn letters_of(folded: &str) -> String {
    folded.chars().filter(|c| c.is_alphabetic()).collect()
}

/// Whether the password is the user's own username, email or the email's
/// local part, or one of those or the service's name with only digits and
/// symbols added (compared like names: any case or width).
fn matches_identity(password: &str, context: PasswordContext<'_>) -> bool {
    let Some(candidate) = folded(password) else {
        return false;
    };
    let mut names: Vec<String> = Vec::new();
    if let Some(username) = context.username.and_then(folded) {
        names.push(username);
    }
    if let Some(email) = context.email.and_then(folded) {
        if let Some((local, _)) = email.rsplit_once('@') {
            names.push(local.to_owned());
        }
        names.push(email);
    }
    if names
        .iter()
        .any(|name| !name.is_empty() && *name == candidate)
    {
        return true;
    }
    let letters = letters_of(&candidate);
    !letters.is_empty()
        && (SERVICE_WORDS.contains(&letters.as_str())
            || names.iter().any(|name| letters_of(name) == letters))
}

#[cfg(feature = "common-passwords")]
fn common_outcome(password: &str) -> RuleOutcome {
    // The list is case-sensitive; people vary case on common words, so check both.
    let common = passwords::analyzer::is_common_password(password)
        || passwords::analyzer::is_common_password(password.to_lowercase());
    if common {
        RuleOutcome::Failed
    } else {
        RuleOutcome::Passed
    }
}

#[cfg(not(feature = "common-passwords"))]
fn common_outcome(_password: &str) -> RuleOutcome {
    RuleOutcome::Unchecked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(username: &'a str, email: &'a str) -> PasswordContext<'a> {
        PasswordContext {
            username: Some(username),
            email: Some(email),
        }
    }

    #[test]
    fn default_policy_table() {
        let policy = PasswordPolicy::default();
        let context = ctx("alice", "alice.kim@example.com");
        use PasswordRule::*;
        let cases: &[(&str, &[PasswordRule])] = &[
            ("S3cret!pass", &[]),
            ("Tr0ub4dor&3x", &[]),
            ("김치찌개2인분!", &[]),
            ("short1!", &[MinLength]),
            ("nodigits!!", &[Digit]),
            ("nospecial12", &[Special]),
            ("12345678!", &[Letter]),
            ("abcdefgh", &[Digit, Special]),
            ("tab\there1!", &[NoControlCharacters]),
            ("", &[MinLength, Letter, Digit, Special]),
        ];
        for (password, expected) in cases {
            let failed: Vec<_> = policy
                .check(password, context)
                .into_iter()
                .filter(|c| c.outcome == RuleOutcome::Failed && c.rule != NotCommon)
                .map(|c| c.rule)
                .collect();
            assert_eq!(&failed, expected, "{password:?}");
        }
    }

    #[test]
    fn length_is_counted_in_characters_and_capped_in_bytes() {
        let policy = PasswordPolicy::default();
        // 8 characters, 24 bytes: long enough.
        assert!(
            policy
                .validate("가나다라마바1!", PasswordContext::default())
                .is_ok()
        );
        // 72 bytes exactly is fine, 73 is refused (never truncated).
        let at_limit = format!("{}1!", "a".repeat(70));
        assert!(
            policy
                .validate(&at_limit, PasswordContext::default())
                .is_ok()
        );
        let over = format!("{}1!", "a".repeat(71));
        let err = policy
            .validate(&over, PasswordContext::default())
            .unwrap_err();
        assert_eq!(err.failed, vec![PasswordRule::MaxBytes]);
        // 30 Hangul syllables are 90 bytes.
        let hangul = format!("{}1!", "가".repeat(30));
        let err = policy
            .validate(&hangul, PasswordContext::default())
            .unwrap_err();
        assert_eq!(err.failed, vec![PasswordRule::MaxBytes]);
    }

    #[cfg(feature = "unicode")]
    #[test]
    fn names_dressed_up_with_digits_and_symbols_are_refused() {
        let policy = PasswordPolicy::default();
        let context = ctx("alice", "alice.kim@example.com");
        for password in [
            "baigate2024!",
            "Backend.AI2024!",
            "companion2024!",
            "BAIGATE#2025",
            "alice2024!!",
            "Alice.Kim#1999",
        ] {
            let err = policy.validate(password, context).unwrap_err();
            assert!(
                err.failed.contains(&PasswordRule::NotIdentity),
                "{password}: {:?}",
                err.failed
            );
        }
        for password in [
            "baigate-gatekeeper-42!",
            "Tr0ub4dor&3xyz",
            "my-alice-is-kind-7!",
        ] {
            assert!(
                !policy.check(password, context).iter().any(|c| c.rule
                    == PasswordRule::NotIdentity
                    && c.outcome == RuleOutcome::Failed),
                "{password}"
            );
        }
    }

    #[test]
    fn identity_is_refused_in_any_spelling() {
        let policy = PasswordPolicy {
            require_digit: false,
            require_special: false,
            ..PasswordPolicy::default()
        };
        let context = ctx("Marguerite", "marguerite.duras@example.com");
        let mut spellings = vec![
            "marguerite",
            "MARGUERITE",
            "marguerite.duras",
            "Marguerite.Duras@Example.com",
        ];
        // A full-width letter folds only with the Unicode tables.
        if cfg!(feature = "unicode") {
            spellings.push("Ｍarguerite");
        }
        for password in spellings {
            let err = policy.validate(password, context).unwrap_err();
            assert!(
                err.failed.contains(&PasswordRule::NotIdentity),
                "{password}"
            );
        }
        assert!(policy.validate("margueritte-x", context).is_ok());
    }

    #[test]
    fn identity_is_refused_whatever_the_letter_case() {
        let policy = PasswordPolicy {
            require_digit: false,
            require_special: false,
            ..PasswordPolicy::default()
        };
        let context = ctx("Marguerite", "marguerite.duras@example.com");
        for password in ["MARGUERITE", " marguerite.DURAS "] {
            let checks = policy.check(password, context);
            assert!(
                checks.iter().any(
                    |c| c.rule == PasswordRule::NotIdentity && c.outcome == RuleOutcome::Failed
                ),
                "{password}"
            );
        }
    }

    #[cfg(feature = "common-passwords")]
    #[test]
    fn common_passwords_are_refused() {
        let policy = PasswordPolicy::default();
        for password in ["Password1!", "P@ssw0rd", "password1!", "PASSWORD1!"] {
            let err = policy
                .validate(password, PasswordContext::default())
                .unwrap_err();
            assert!(err.failed.contains(&PasswordRule::NotCommon), "{password}");
        }
    }

    #[cfg(not(feature = "common-passwords"))]
    #[test]
    fn common_rule_is_left_to_the_server() {
        let policy = PasswordPolicy::default();
        let checks = policy.check("Password1!", PasswordContext::default());
        let common = checks
            .iter()
            .find(|c| c.rule == PasswordRule::NotCommon)
            .unwrap();
        assert_eq!(common.outcome, RuleOutcome::Unchecked);
        assert!(
            policy
                .validate("Password1!", PasswordContext::default())
                .is_ok()
        );
    }

    #[test]
    fn relaxed_policy_drops_rules() {
        let policy = PasswordPolicy {
            min_length: 15,
            require_letter: false,
            require_digit: false,
            require_special: false,
            reject_common: false,
            ..PasswordPolicy::default()
        };
        assert!(
            policy
                .validate("correct horse battery staple", PasswordContext::default())
                .is_ok()
        );
        assert_eq!(
            policy
                .rules()
                .iter()
                .filter(|r| matches!(r, PasswordRule::Letter | PasswordRule::NotCommon))
                .count(),
            0
        );
    }

    #[cfg(feature = "unicode")]
    #[test]
    fn nfc_makes_composed_and_decomposed_equal() {
        assert_eq!(
            normalize_password("caf\u{e9}"),
            normalize_password("cafe\u{301}")
        );
        // Case and spaces are kept: they are part of the password.
        assert_ne!(
            normalize_password("Pass word"),
            normalize_password("Password")
        );
    }

    #[test]
    fn violation_message_names_every_rule() {
        let policy = PasswordPolicy::default();
        let err = policy
            .validate("abc", PasswordContext::default())
            .unwrap_err();
        let message = err.message();
        assert!(message.contains("at least 8 characters"), "{message}");
        assert!(message.contains("at least one digit"), "{message}");
        assert!(message.contains("special character"), "{message}");
    }

    #[test]
    fn policy_json_round_trips_and_refuses_unknown_keys() {
        let policy = PasswordPolicy::default();
        let json = serde_json::to_string(&policy).unwrap();
        let back: PasswordPolicy = serde_json::from_str(&json).unwrap();
        assert_eq!(back, policy);
        assert!(serde_json::from_str::<PasswordPolicy>(r#"{"min_lenght": 3}"#).is_err());
        let partial: PasswordPolicy = serde_json::from_str(r#"{"min_length": 12}"#).unwrap();
        assert_eq!(partial.min_length, 12);
        assert!(partial.require_special);
    }
}
