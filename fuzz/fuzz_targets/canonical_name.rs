//! Login names and passwords as the companion folds them. Properties: no
//! panic; the canonical form is idempotent, non-empty and has no
//! surrounding whitespace; an email address or username that parses names
//! the same account when it is typed back as shown (its display form); a
//! password is normalised once for good, and the 72-byte rule is checked on
//! the bytes bcrypt receives.
//!
//! Input, by lines: a login name, an email address, a password (the name is
//! also tried whole, line breaks and all).

#![no_main]

use baigate_shared::identity::{Email, Username, canonical_identifier};
use baigate_shared::password::{
    BCRYPT_MAX_BYTES, PasswordContext, PasswordPolicy, PasswordRule, RuleOutcome,
    normalize_password,
};
use libfuzzer_sys::fuzz_target;

fn idempotent(raw: &str) {
    if let Ok(canonical) = canonical_identifier(raw) {
        assert!(!canonical.is_empty());
        assert_eq!(canonical, canonical.trim());
        assert_eq!(
            canonical_identifier(&canonical).as_ref(),
            Ok(&canonical),
            "not idempotent: {raw:?}"
        );
    }
}

fuzz_target!(|text: &str| {
    idempotent(text);
    let mut lines = text.splitn(3, '\n');
    let name = lines.next().unwrap_or_default();
    let email_text = lines.next().unwrap_or_default();
    let password = lines.next().unwrap_or_default();
    idempotent(name);

    let email = Email::parse(email_text);
    if let Ok(email) = &email {
        assert_eq!(
            canonical_identifier(email_text).as_ref(),
            Ok(&email.canonical)
        );
        assert_eq!(
            Email::parse(&email.display)
                .map(|again| again.canonical)
                .as_ref(),
            Ok(&email.canonical),
            "its display form is another address: {email_text:?}"
        );
        if let Ok(username) = Username::parse(name, email) {
            assert_eq!(canonical_identifier(name).as_ref(), Ok(&username.canonical));
            assert_eq!(
                Username::parse(&username.display, email)
                    .map(|again| again.canonical)
                    .as_ref(),
                Ok(&username.canonical),
                "its display form is another name: {name:?}"
            );
        }
    }

    let normalized = normalize_password(password);
    assert_eq!(normalize_password(&normalized), normalized);
    let context = PasswordContext {
        username: Some(name),
        email: email.as_ref().ok().map(|e| e.display.as_str()),
    };
    let checks = PasswordPolicy::default().check(password, context);
    let max_bytes = checks
        .iter()
        .find(|check| check.rule == PasswordRule::MaxBytes)
        .map(|check| check.outcome);
    let fits = normalized.len() <= BCRYPT_MAX_BYTES;
    let expected = if fits {
        RuleOutcome::Passed
    } else {
        RuleOutcome::Failed
    };
    assert_eq!(max_bytes, Some(expected), "{password:?}");
});
