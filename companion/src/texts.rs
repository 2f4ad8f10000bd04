//! The companion's words in English, Korean and Japanese: its pages, its
//! mails and the built-in Terms of Service and Privacy Policy. The words are
//! data, one file per language (`locales/<lang>.toml`); the build turns them
//! into the constants below and refuses a language that lacks a key or fills
//! other placeholders than English. `{name}` in a text marks a value filled
//! in when it is used ([`fill`], or [`pieces`] where markup goes there).

use crate::i18n::Lang;

/// Everything said in one language.
#[derive(Debug)]
pub struct Texts {
    pub page: PageText,
    pub mail: MailText,
    pub terms: &'static [Section],
    pub privacy: &'static [Section],
}

/// The words of the pages (signup, confirmation, password reset).
#[derive(Debug)]
pub struct PageText {
    pub terms: &'static str,
    pub privacy: &'static str,
    pub email: &'static str,
    pub username: &'static str,
    pub username_hint: &'static str,
    pub password: &'static str,
    pub new_password: &'static str,
    pub password_again: &'static str,
    pub passwords_differ: &'static str,
    pub rules_heading: &'static str,
    pub rule_min_length: &'static str,
    pub rule_max_bytes: &'static str,
    pub rule_no_control: &'static str,
    pub rule_letter: &'static str,
    pub rule_digit: &'static str,
    pub rule_special: &'static str,
    pub rule_not_common: &'static str,
    pub rule_not_identity: &'static str,

    pub signup_title: &'static str,
    pub signup_intro: &'static str,
    pub invitation: &'static str,
    pub invitation_hint: &'static str,
    pub agreement: &'static str,
    pub signup_submit: &'static str,
    pub signup_closed: &'static str,
    pub signup_needs_invitation: &'static str,
    pub invitation_invalid: &'static str,
    pub must_agree: &'static str,
    pub signup_done_title: &'static str,
    pub signup_check_mail: &'static str,
    pub signup_mail_failed: &'static str,
    pub signup_can_login: &'static str,
    pub keys_heading: &'static str,
    pub keys_note: &'static str,
    pub access_key: &'static str,
    pub secret_key: &'static str,

    pub verify_title: &'static str,
    pub verify_done: &'static str,
    pub verify_already: &'static str,
    pub verify_invalid: &'static str,
    pub resend_prompt: &'static str,
    pub resend_submit: &'static str,
    pub mail_on_its_way: &'static str,

    pub forgot_link: &'static str,
    pub forgot_title: &'static str,
    pub forgot_intro: &'static str,
    pub forgot_submit: &'static str,
    pub reset_disabled: &'static str,

    pub change_title: &'static str,
    pub change_intro: &'static str,
    pub change_submit: &'static str,
    pub change_invalid: &'static str,
    pub change_request_new: &'static str,
    pub change_done: &'static str,
    pub change_failed: &'static str,

    pub field_missing: &'static str,
    pub err_email_invalid: &'static str,
    pub err_username_invalid: &'static str,
    pub err_email_taken: &'static str,
    pub err_username_taken: &'static str,
    pub err_weak: &'static str,
    pub err_server: &'static str,

    pub sso_title: &'static str,
    pub sso_unknown_flow: &'static str,
}

/// The words of the mails: a subject, then paragraphs; `*_button` labels
/// the link.
#[derive(Debug)]
pub struct MailText {
    pub greeting: &'static str,

    pub verify_subject: &'static str,
    pub verify_body: &'static str,
    pub verify_button: &'static str,
    pub verify_ignore: &'static str,

    pub reset_subject: &'static str,
    pub reset_body: &'static str,
    pub reset_button: &'static str,
    pub reset_ignore: &'static str,

    pub changed_subject: &'static str,
    pub changed_body: &'static str,
    pub changed_advice: &'static str,

    pub locked_subject: &'static str,
    pub locked_body: &'static str,
    pub locked_advice: &'static str,

    pub disabled_subject: &'static str,
    pub disabled_body: &'static str,
    pub disabled_advice: &'static str,

    pub codes_locked_subject: &'static str,
    pub codes_locked_body: &'static str,
    pub codes_disabled_subject: &'static str,
    pub codes_disabled_body: &'static str,
    pub codes_advice: &'static str,

    pub test_subject: &'static str,
    pub test_body: &'static str,
}

/// A part of a built-in document: a heading and its paragraphs.
#[derive(Debug)]
pub struct Section {
    pub heading: &'static str,
    pub paragraphs: &'static [&'static str],
}

include!(concat!(env!("OUT_DIR"), "/texts.rs"));

pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::En => &EN,
        Lang::Ko => &KO,
        Lang::Ja => &JA,
    }
}

/// Fills `{name}` placeholders with plain values.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(text.to_owned(), |text, (key, value)| {
        text.replace(&format!("{{{key}}}"), value)
    })
}

/// A piece of a text: words, or the name of a placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    Words(&'a str),
    Slot(&'a str),
}

/// A text cut at its placeholders, for a template that puts markup (a link)
/// where a placeholder is and escapes the words around it.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let Some(length) = rest[start..].find('}') else {
            break;
        };
        if start > 0 {
            out.push(Piece::Words(&rest[..start]));
        }
        out.push(Piece::Slot(&rest[start + 1..start + length]));
        rest = &rest[start + length + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Words(rest));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_text_and_the_documents() {
        for lang in Lang::ALL {
            let texts = texts(lang);
            assert!(!texts.page.signup_title.is_empty());
            assert!(!texts.mail.greeting.is_empty());
            assert!(
                texts.terms.len() >= 2 && texts.privacy.len() >= 2,
                "{lang:?}"
            );
        }
        assert_ne!(texts(Lang::En).page.email, texts(Lang::Ko).page.email);
        assert_ne!(texts(Lang::Ko).page.email, texts(Lang::Ja).page.email);
    }

    #[test]
    fn placeholders_are_filled_or_cut_out() {
        assert_eq!(
            fill("at {server} in {n}", &[("server", "x"), ("n", "2")]),
            "at x in 2"
        );
        assert_eq!(
            pieces("agree to {terms} and {privacy}."),
            [
                Piece::Words("agree to "),
                Piece::Slot("terms"),
                Piece::Words(" and "),
                Piece::Slot("privacy"),
                Piece::Words("."),
            ]
        );
        assert_eq!(pieces("{terms}"), [Piece::Slot("terms")]);
        assert_eq!(pieces("no slot {"), [Piece::Words("no slot {")]);
    }
}
