//! The HTML pages the companion serves: signup, email confirmation, forgot
//! and change password, terms and privacy. They work without JavaScript (a
//! small script only makes the password checklist live), carry a strict CSP
//! and `Referrer-Policy: no-referrer`, and fit a phone screen. Links in mails
//! carry a token in the URL; pages never act on a GET except confirming an
//! address, and a password is only ever changed by a POST of the form.
//!
//! Each page is an askama template (`templates/pages/`), which escapes what
//! it shows; the words are [`crate::texts`]. A refusal's status comes from
//! the answer table ([`super::problem`]); the page shows its own words.

mod documents;
mod recovery;
mod signup;

pub use documents::{privacy, terms, webui_document};
pub use recovery::sso_flow_unknown;
pub use recovery::{
    change_form, change_submit, forgot_form, forgot_submit, resend_verification, verify_email,
};
pub use signup::{signup_form, signup_submit};

use askama::Template;
use baigate_shared::password::{PasswordPolicy, PasswordRule};
use poem::http::StatusCode;
use poem::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use poem::{Response, handler};
use serde::Deserialize;

use crate::i18n::Lang;
use crate::texts::{PageText, fill, texts};

const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
                        form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const STYLESHEET: &str = include_str!("../../../assets/baigate.css");
const CHECKLIST_SCRIPT: &str = include_str!("../../../assets/checklist.js");

/// Every form and query field a page reads; unknown ones are ignored.
#[derive(Debug, Default, Deserialize)]
struct Fields {
    email: Option<String>,
    username: Option<String>,
    password: Option<String>,
    password_confirm: Option<String>,
    token: Option<String>,
    agreement: Option<String>,
    verification_code: Option<String>,
}

/// A field's value, trimmed ("" when absent).
fn value(field: &Option<String>) -> &str {
    field.as_deref().map(str::trim).unwrap_or_default()
}

/// A page's query, leniently: what cannot be read is left empty.
fn query(req: &poem::Request) -> Fields {
    serde_urlencoded::from_str(req.uri().query().unwrap_or_default()).unwrap_or_default()
}

/// What every page shows around its content.
#[derive(Debug)]
struct Layout {
    lang: Lang,
    t: &'static PageText,
    title: &'static str,
    languages: Vec<LanguageLink>,
    /// Load the live password checklist.
    checklist: bool,
    /// The wider layout of a document.
    wide: bool,
}

/// A link to the same page in another language (none for the current one).
#[derive(Debug)]
struct LanguageLink {
    code: &'static str,
    name: &'static str,
    href: Option<String>,
}

impl Layout {
    /// `here` is the page's own path and query, for the language links.
    fn new(lang: Lang, title: impl Fn(&'static PageText) -> &'static str, here: &str) -> Self {
        let t = &texts(lang).page;
        Self {
            lang,
            t,
            title: title(t),
            languages: Lang::ALL
                .iter()
                .map(|other| LanguageLink {
                    code: other.code(),
                    name: other.native_name(),
                    href: (*other != lang).then(|| with_lang(here, *other)),
                })
                .collect(),
            checklist: false,
            wide: false,
        }
    }

    fn with_checklist(mut self) -> Self {
        self.checklist = true;
        self
    }

    fn wide(mut self) -> Self {
        self.wide = true;
        self
    }
}

/// `here` with its `lang` parameter set to `lang`.
fn with_lang(here: &str, lang: Lang) -> String {
    let (path, query) = here.split_once('?').unwrap_or((here, ""));
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("lang="))
        .collect();
    let lang_pair = format!("lang={}", lang.code());
    pairs.push(&lang_pair);
    format!("{path}?{}", pairs.join("&"))
}

/// A rendered page with the page CSP.
fn html(page: &impl Template, status: StatusCode) -> Response {
    match page.render() {
        Ok(body) => Response::builder()
            .status(status)
            .header(CONTENT_TYPE, "text/html; charset=utf-8")
            .header(CONTENT_SECURITY_POLICY, PAGE_CSP)
            .body(body),
        Err(e) => {
            super::problem::ApiError::Internal(format!("a page failed to render: {e}")).into()
        }
    }
}

/// A password rule as the checklist shows it; `slug` is what the script
/// checks.
#[derive(Debug)]
struct RuleLine {
    slug: String,
    text: String,
}

fn rule_text(t: &PageText, policy: &PasswordPolicy, rule: PasswordRule) -> String {
    match rule {
        PasswordRule::MinLength => {
            fill(t.rule_min_length, &[("n", &policy.min_length.to_string())])
        }
        PasswordRule::MaxBytes => fill(t.rule_max_bytes, &[("n", &policy.max_bytes.to_string())]),
        PasswordRule::NoControlCharacters => t.rule_no_control.to_owned(),
        PasswordRule::Letter => t.rule_letter.to_owned(),
        PasswordRule::Digit => t.rule_digit.to_owned(),
        PasswordRule::Special => t.rule_special.to_owned(),
        PasswordRule::NotCommon => t.rule_not_common.to_owned(),
        PasswordRule::NotIdentity => t.rule_not_identity.to_owned(),
    }
}

fn rule_slug(rule: PasswordRule) -> String {
    serde_json::to_value(rule)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn rule_lines(t: &PageText, policy: &PasswordPolicy) -> Vec<RuleLine> {
    policy
        .rules()
        .into_iter()
        .map(|rule| RuleLine {
            slug: rule_slug(rule),
            text: rule_text(t, policy, rule),
        })
        .collect()
}

/// The policy for the checklist script (`data-policy`).
fn policy_json(policy: &PasswordPolicy) -> String {
    serde_json::to_string(policy).unwrap_or_else(|_| "{}".into())
}

/// The service's own names, which the checklist script refuses as passwords
/// (`data-service-words`).
fn service_words() -> String {
    baigate_shared::password::SERVICE_WORDS.join(" ")
}

/// "The password does not meet these rules: …".
fn weak_message(t: &PageText, policy: &PasswordPolicy, failed: &[PasswordRule]) -> String {
    let rules: Vec<String> = failed
        .iter()
        .map(|rule| rule_text(t, policy, *rule))
        .collect();
    format!("{} {}", t.err_weak, rules.join(", "))
}

/// "Please fill in: …".
fn missing(t: &PageText, label: &str) -> String {
    fill(t.field_missing, &[("field", label)])
}

/// `GET /static/baigate.css`
#[handler]
pub async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLESHEET)
}

/// `GET /static/checklist.js`
#[handler]
pub async fn checklist_script() -> Response {
    asset("text/javascript; charset=utf-8", CHECKLIST_SCRIPT)
}

fn asset(content_type: &str, content: &'static str) -> Response {
    Response::builder()
        .header(CONTENT_TYPE, content_type)
        .header(CACHE_CONTROL, "public, max-age=3600")
        .body(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_links_keep_the_rest_of_the_query() {
        assert_eq!(with_lang("/signup", Lang::Ko), "/signup?lang=ko");
        assert_eq!(
            with_lang("/signup?token=abc&lang=en", Lang::Ja),
            "/signup?token=abc&lang=ja"
        );
    }

    #[test]
    fn every_rule_has_a_slug_the_script_knows() {
        let script = CHECKLIST_SCRIPT;
        for rule in PasswordPolicy::default().rules() {
            let slug = rule_slug(rule);
            assert!(!slug.is_empty());
            if rule != PasswordRule::NotCommon {
                assert!(script.contains(&format!("\"{slug}\"")), "{slug}");
            }
        }
    }
}
