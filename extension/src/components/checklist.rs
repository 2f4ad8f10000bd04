//! The live password checklist: each rule of the endpoint's policy (or the
//! Backend.AI manual's rule), ticked as the password is typed.

use baigate_shared::password::{
    BCRYPT_MAX_BYTES, PasswordContext, PasswordPolicy, PasswordRule, RuleOutcome,
};
use yew::prelude::*;

use crate::text::{Text, t, tf};

/// The rule of the Backend.AI manual and WebUI, for endpoints that publish
/// none: 8 characters or more with a letter, a digit and a special character.
pub fn manual_rule() -> PasswordPolicy {
    PasswordPolicy {
        min_length: 8,
        max_bytes: BCRYPT_MAX_BYTES,
        require_letter: true,
        require_digit: true,
        require_special: true,
        reject_common: false,
        reject_identity: false,
    }
}

fn rule_text(policy: &PasswordPolicy, rule: PasswordRule) -> String {
    match rule {
        PasswordRule::MinLength => tf(Text::RuleMinLength, &[&policy.min_length.to_string()]),
        PasswordRule::MaxBytes => tf(Text::RuleMaxBytes, &[&policy.max_bytes.to_string()]),
        PasswordRule::NoControlCharacters => t(Text::RuleNoControl),
        PasswordRule::Letter => t(Text::RuleLetter),
        PasswordRule::Digit => t(Text::RuleDigit),
        PasswordRule::Special => t(Text::RuleSpecial),
        PasswordRule::NotCommon => t(Text::RuleNotCommon),
        PasswordRule::NotIdentity => t(Text::RuleNotIdentity),
    }
}

fn rule_slug(rule: PasswordRule) -> &'static str {
    match rule {
        PasswordRule::MinLength => "min-length",
        PasswordRule::MaxBytes => "max-bytes",
        PasswordRule::NoControlCharacters => "no-control-characters",
        PasswordRule::Letter => "letter",
        PasswordRule::Digit => "digit",
        PasswordRule::Special => "special",
        PasswordRule::NotCommon => "not-common",
        PasswordRule::NotIdentity => "not-identity",
    }
}

/// Whether the password passes every rule this popup can check, and the
/// confirmation matches.
pub fn acceptable(
    policy: &PasswordPolicy,
    password: &str,
    confirm: &str,
    context: PasswordContext<'_>,
) -> bool {
    !password.is_empty()
        && password == confirm
        && policy
            .check(password, context)
            .iter()
            .all(|c| c.outcome != RuleOutcome::Failed)
}

#[derive(Debug, Properties, PartialEq)]
pub struct ChecklistProps {
    pub policy: PasswordPolicy,
    pub password: AttrValue,
    pub confirm: AttrValue,
    #[prop_or_default]
    pub email: AttrValue,
    #[prop_or_default]
    pub username: AttrValue,
    pub id: AttrValue,
}

#[component]
pub fn Checklist(props: &ChecklistProps) -> Html {
    let context = PasswordContext {
        username: Some(props.username.as_str()).filter(|u| !u.is_empty()),
        email: Some(props.email.as_str()).filter(|e| !e.is_empty()),
    };
    let typed = !props.password.is_empty();
    let checks = props.policy.check(&props.password, context);
    let item = |slug: &'static str, text: String, outcome: RuleOutcome| {
        let (class, mark) = match (typed, outcome) {
            (false, _) => ("todo", "○"),
            (true, RuleOutcome::Passed) => ("passed", "✓"),
            (true, RuleOutcome::Failed) => ("failed", "✗"),
            (true, RuleOutcome::Unchecked) => ("server", "•"),
        };
        let state_text = match (typed, outcome) {
            (true, RuleOutcome::Passed) => t(Text::RulePassed),
            (true, RuleOutcome::Failed) => t(Text::RuleFailed),
            (true, RuleOutcome::Unchecked) => t(Text::RuleServerChecks),
            (false, _) => String::new(),
        };
        html! {
            <li class={class} data-rule={slug} data-outcome={class}>
                <span class="mark" aria-hidden="true">{ mark }</span>
                { text }
                if !state_text.is_empty() { <span class="visually-hidden">{ format!(" ({state_text})") }</span> }
            </li>
        }
    };
    let matches = if props.confirm.is_empty() {
        RuleOutcome::Unchecked
    } else if props.confirm == props.password {
        RuleOutcome::Passed
    } else {
        RuleOutcome::Failed
    };
    let confirm_item = {
        let typed_confirm = !props.confirm.is_empty();
        let (class, mark) = match (typed_confirm, matches) {
            (true, RuleOutcome::Passed) => ("passed", "✓"),
            (true, _) => ("failed", "✗"),
            (false, _) => ("todo", "○"),
        };
        html! {
            <li class={class} data-rule="confirm-matches" data-outcome={class}>
                <span class="mark" aria-hidden="true">{ mark }</span>{ t(Text::RuleConfirmMatches) }
            </li>
        }
    };
    // Limits almost nobody reaches are listed only once they are broken.
    let shown = checks.iter().filter(|c| {
        !matches!(
            c.rule,
            PasswordRule::MaxBytes | PasswordRule::NoControlCharacters
        ) || c.outcome == RuleOutcome::Failed
    });
    html! {
        <ul class="checklist" id={props.id.clone()} aria-label={t(Text::ChecklistLabel)}>
            { for shown.map(|c| item(rule_slug(c.rule), rule_text(&props.policy, c.rule), c.outcome)) }
            { confirm_item }
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manual_rule_is_the_webui_pattern() {
        let policy = manual_rule();
        let ok = |p: &str| acceptable(&policy, p, p, PasswordContext::default());
        // /^(?=.*\d)(?=.*[a-zA-Z])(?=.*[_\W]).{8,}$/
        assert!(ok("abc123!!"));
        assert!(!ok("abc12!"), "too short");
        assert!(!ok("abcdefg!"), "no digit");
        assert!(!ok("12345678!"), "no letter");
        assert!(!ok("abc12345"), "no special character");
        assert!(
            !acceptable(&policy, "abc123!!", "abc123!?", PasswordContext::default()),
            "confirmation differs"
        );
    }
}
