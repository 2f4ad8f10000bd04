//! The messages the companion sends, in English, Korean and Japanese, each as
//! plain text and HTML: the words come from [`crate::texts`], the layout
//! from `templates/mail/message.{txt,html}` (the HTML one escapes what it
//! shows).

use askama::Template as _;

use crate::i18n::Lang;
use crate::texts::{fill, texts};

/// A message to render.
#[derive(Debug, Clone)]
pub enum Template {
    VerifyEmail {
        link: String,
        hours: u64,
    },
    ResetPassword {
        email: String,
        link: String,
        minutes: u64,
    },
    PasswordChanged {
        email: String,
        when: String,
    },
    AccountLocked {
        email: String,
        until: String,
        failures: u32,
    },
    LoginDisabled {
        email: String,
        failures: u32,
    },
    /// Wrong one-time codes locked two-factor login for a while.
    CodesLocked {
        email: String,
        until: String,
        failures: u32,
    },
    /// Wrong one-time codes turned two-factor login off.
    CodesDisabled {
        email: String,
        failures: u32,
    },
    Test,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The link a message asks the reader to open.
#[derive(Debug)]
struct Button {
    label: &'static str,
    link: String,
}

/// A message's parts: the link (if any) goes after `before`.
#[derive(Debug, askama::Template)]
#[template(path = "mail/message.html")]
struct HtmlMessage<'a> {
    lang: Lang,
    subject: &'a str,
    greeting: &'a str,
    before: Vec<String>,
    button: Option<Button>,
    after: Vec<String>,
}

#[derive(Debug, askama::Template)]
#[template(path = "mail/message.txt")]
struct TextMessage<'a> {
    greeting: &'a str,
    before: &'a [String],
    button: &'a Option<Button>,
    after: &'a [String],
}

fn message(template: &Template, lang: Lang, server: &str) -> HtmlMessage<'static> {
    let t = &texts(lang).mail;
    let (subject, before, button, after) = match template {
        Template::VerifyEmail { link, hours } => (
            t.verify_subject,
            vec![fill(
                t.verify_body,
                &[("server", server), ("hours", &hours.to_string())],
            )],
            Some((t.verify_button, link)),
            vec![t.verify_ignore.to_owned()],
        ),
        Template::ResetPassword {
            email,
            link,
            minutes,
        } => (
            t.reset_subject,
            vec![fill(
                t.reset_body,
                &[
                    ("server", server),
                    ("email", email),
                    ("minutes", &minutes.to_string()),
                ],
            )],
            Some((t.reset_button, link)),
            vec![t.reset_ignore.to_owned()],
        ),
        Template::PasswordChanged { email, when } => {
            let values = [("server", server), ("email", email), ("when", when)];
            (
                t.changed_subject,
                vec![
                    fill(t.changed_body, &values),
                    fill(t.changed_advice, &values),
                ],
                None,
                Vec::new(),
            )
        }
        Template::AccountLocked {
            email,
            until,
            failures,
        } => {
            let failures = failures.to_string();
            let values = [
                ("server", server),
                ("email", email.as_str()),
                ("until", until.as_str()),
                ("failures", failures.as_str()),
            ];
            (
                t.locked_subject,
                vec![fill(t.locked_body, &values), fill(t.locked_advice, &values)],
                None,
                Vec::new(),
            )
        }
        Template::LoginDisabled { email, failures } => {
            let failures = failures.to_string();
            let values = [
                ("server", server),
                ("email", email.as_str()),
                ("failures", failures.as_str()),
            ];
            (
                t.disabled_subject,
                vec![
                    fill(t.disabled_body, &values),
                    fill(t.disabled_advice, &values),
                ],
                None,
                Vec::new(),
            )
        }
        Template::CodesLocked {
            email,
            until,
            failures,
        } => {
            let failures = failures.to_string();
            let values = [
                ("server", server),
                ("email", email.as_str()),
                ("until", until.as_str()),
                ("failures", failures.as_str()),
            ];
            (
                t.codes_locked_subject,
                vec![
                    fill(t.codes_locked_body, &values),
                    fill(t.codes_advice, &values),
                ],
                None,
                Vec::new(),
            )
        }
        Template::CodesDisabled { email, failures } => {
            let failures = failures.to_string();
            let values = [
                ("server", server),
                ("email", email.as_str()),
                ("failures", failures.as_str()),
            ];
            (
                t.codes_disabled_subject,
                vec![
                    fill(t.codes_disabled_body, &values),
                    fill(t.codes_advice, &values),
                ],
                None,
                Vec::new(),
            )
        }
        Template::Test => (
            t.test_subject,
            vec![fill(t.test_body, &[("server", server)])],
            None,
            Vec::new(),
        ),
    };
    HtmlMessage {
        lang,
        subject,
        greeting: t.greeting,
        before,
        button: button.map(|(label, link)| Button {
            label,
            link: link.clone(),
        }),
        after,
    }
}

/// Renders a message for a server (shown as its public URL).
pub fn render(template: &Template, lang: Lang, server: &str) -> Rendered {
    let html_message = message(template, lang, server);
    let text_message = TextMessage {
        greeting: html_message.greeting,
        before: &html_message.before,
        button: &html_message.button,
        after: &html_message.after,
    };
    // Rendering plain values into a String cannot fail; an empty body would
    // only hide a template bug that the tests below catch.
    let mut text = text_message.render().unwrap_or_default();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Rendered {
        subject: format!("[baigate] {}", html_message.subject),
        html: html_message.render().unwrap_or_default(),
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_templates() -> Vec<Template> {
        vec![
            Template::VerifyEmail {
                link: "https://login.example.com/verify-email?verification_code=abc".into(),
                hours: 24,
            },
            Template::ResetPassword {
                email: "user@example.com".into(),
                link: "https://login.example.com/change-password?token=abc".into(),
                minutes: 15,
            },
            Template::PasswordChanged {
                email: "user@example.com".into(),
                when: "2026-11-22 08:00".into(),
            },
            Template::AccountLocked {
                email: "user@example.com".into(),
                until: "2026-11-22 08:20".into(),
                failures: 10,
            },
            Template::LoginDisabled {
                email: "user@example.com".into(),
                failures: 100,
            },
            Template::CodesLocked {
                email: "user@example.com".into(),
                until: "2026-11-22 08:20".into(),
                failures: 10,
            },
            Template::CodesDisabled {
                email: "user@example.com".into(),
                failures: 100,
            },
            Template::Test,
        ]
    }

    #[test]
    fn every_message_renders_in_every_language_with_nothing_left_unfilled() {
        for template in all_templates() {
            for lang in Lang::ALL {
                let rendered = render(&template, lang, "https://login.example.com");
                for part in [&rendered.subject, &rendered.text, &rendered.html] {
                    assert!(!part.contains('{'), "{template:?} {lang:?}: {part}");
                }
                assert!(rendered.subject.starts_with("[baigate] "));
                assert!(rendered.html.contains(&format!("lang=\"{}\"", lang.code())));
                if let Template::VerifyEmail { link, .. } | Template::ResetPassword { link, .. } =
                    &template
                {
                    assert!(rendered.text.contains(link.as_str()));
                    assert!(rendered.html.contains(&link.replace('&', "&#38;")));
                }
            }
        }
    }

    #[test]
    fn languages_differ() {
        let subjects: Vec<String> = Lang::ALL
            .iter()
            .map(|lang| render(&Template::Test, *lang, "x").subject)
            .collect();
        assert_ne!(subjects[0], subjects[1]);
        assert_ne!(subjects[1], subjects[2]);
    }

    #[test]
    fn html_is_escaped() {
        let rendered = render(
            &Template::ResetPassword {
                email: "<script>@example.com".into(),
                link: "https://x/?a=1&b=\"2\"".into(),
                minutes: 15,
            },
            Lang::En,
            "https://x",
        );
        assert!(!rendered.html.contains("<script>"));
        assert!(
            rendered.html.contains("&#60;script&#62;"),
            "{}",
            rendered.html
        );
        assert!(
            rendered.html.contains("a=1&#38;b=&#34;2&#34;"),
            "{}",
            rendered.html
        );
        assert!(rendered.text.contains("https://x/?a=1&b=\"2\""));
    }
}
