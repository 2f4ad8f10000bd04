//! The messages the companion sends, in English, Korean and Japanese, each as
//! plain text and HTML.

use crate::i18n::Lang;

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
    Test,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The paragraphs of a message: the link (if any) goes after `before`.
struct Parts {
    subject: String,
    greeting: &'static str,
    before: Vec<String>,
    button: Option<(&'static str, String)>,
    after: Vec<String>,
}

fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (key, value)| {
            text.replace(&format!("{{{key}}}"), value)
        })
}

fn parts(template: &Template, lang: Lang, server: &str) -> Parts {
    let greeting = match lang {
        Lang::En => "Hello,",
        Lang::Ko => "안녕하세요.",
        Lang::Ja => "こんにちは。",
    };
    match template {
        Template::VerifyEmail { link, hours } => {
            let hours = hours.to_string();
            let v = [("server", server), ("hours", hours.as_str())];
            let (subject, before, button, after) = match lang {
                Lang::En => (
                    "Confirm your email address",
                    "Someone, hopefully you, signed up at {server} with this email address. To confirm the address and start using the account, open this link within {hours} hours:",
                    "Confirm my email address",
                    "If you did not sign up, you can ignore this message: the account stays inactive.",
                ),
                Lang::Ko => (
                    "이메일 주소를 확인해 주세요",
                    "{server}에서 이 이메일 주소로 회원 가입 신청이 있었습니다. 본인이 신청하셨다면 {hours}시간 안에 아래 링크를 열어 주소를 확인하고 계정을 활성화해 주세요.",
                    "이메일 주소 확인하기",
                    "가입한 적이 없으시다면 이 메일은 무시하셔도 됩니다. 계정은 활성화되지 않습니다.",
                ),
                Lang::Ja => (
                    "メールアドレスの確認をお願いします",
                    "{server} でこのメールアドレスを使ったアカウント登録が行われました。ご本人による登録であれば、{hours} 時間以内に下のリンクを開いてアドレスを確認し、アカウントを有効にしてください。",
                    "メールアドレスを確認する",
                    "お心当たりがない場合は、このメールを破棄してください。アカウントは有効になりません。",
                ),
            };
            Parts {
                subject: subject.to_owned(),
                greeting,
                before: vec![fill(before, &v)],
                button: Some((button, link.clone())),
                after: vec![after.to_owned()],
            }
        }
        Template::ResetPassword {
            email,
            link,
            minutes,
        } => {
            let minutes = minutes.to_string();
            let v = [
                ("server", server),
                ("email", email.as_str()),
                ("minutes", minutes.as_str()),
            ];
            let (subject, before, button, after) = match lang {
                Lang::En => (
                    "Reset your password",
                    "We received a request to reset the password of the account {email} at {server}. To choose a new password, open this link within {minutes} minutes. It works only once.",
                    "Choose a new password",
                    "If you did not ask for this, ignore this message: your password stays as it is.",
                ),
                Lang::Ko => (
                    "비밀번호 재설정 안내",
                    "{server}의 {email} 계정에 대한 비밀번호 재설정 요청을 받았습니다. {minutes}분 안에 아래 링크를 열어 새 비밀번호를 정해 주세요. 링크는 한 번만 사용할 수 있습니다.",
                    "새 비밀번호 정하기",
                    "요청하신 적이 없다면 이 메일은 무시하셔도 됩니다. 비밀번호는 바뀌지 않습니다.",
                ),
                Lang::Ja => (
                    "パスワード再設定のご案内",
                    "{server} のアカウント {email} について、パスワード再設定のリクエストを受け付けました。{minutes} 分以内に下のリンクを開いて、新しいパスワードを設定してください。リンクは一度だけ使えます。",
                    "新しいパスワードを設定する",
                    "お心当たりがない場合は、このメールを破棄してください。パスワードは変更されません。",
                ),
            };
            Parts {
                subject: subject.to_owned(),
                greeting,
                before: vec![fill(before, &v)],
                button: Some((button, link.clone())),
                after: vec![after.to_owned()],
            }
        }
        Template::PasswordChanged { email, when } => {
            let v = [
                ("server", server),
                ("email", email.as_str()),
                ("when", when.as_str()),
            ];
            let (subject, first, second) = match lang {
                Lang::En => (
                    "Your password was changed",
                    "The password of your account {email} at {server} was changed at {when} (UTC), and every session of the account was ended.",
                    "If this was you, there is nothing more to do. If it was not, reset your password right away with \"Forgot password?\" and tell your administrator.",
                ),
                Lang::Ko => (
                    "비밀번호가 변경되었습니다",
                    "{server}의 {email} 계정 비밀번호가 {when}(UTC)에 변경되었고, 이 계정의 모든 세션이 종료되었습니다.",
                    "본인이 변경하셨다면 더 하실 일은 없습니다. 본인이 아니라면 지금 바로 \"비밀번호를 잊으셨나요?\"로 비밀번호를 재설정하고 관리자에게 알려 주세요.",
                ),
                Lang::Ja => (
                    "パスワードが変更されました",
                    "{server} のアカウント {email} のパスワードが {when}（UTC）に変更され、このアカウントのすべてのセッションが終了しました。",
                    "ご本人による変更であれば、対応は不要です。お心当たりがない場合は、すぐに「パスワードをお忘れですか？」からパスワードを再設定し、管理者に連絡してください。",
                ),
            };
            Parts {
                subject: subject.to_owned(),
                greeting,
                before: vec![fill(first, &v), fill(second, &v)],
                button: None,
                after: Vec::new(),
            }
        }
        Template::AccountLocked {
            email,
            until,
            failures,
        } => {
            let failures = failures.to_string();
            let v = [
                ("server", server),
                ("email", email.as_str()),
                ("until", until.as_str()),
                ("failures", failures.as_str()),
            ];
            let (subject, first, second) = match lang {
                Lang::En => (
                    "Logins to your account are paused",
                    "After {failures} failed login attempts in a row, logins to your account {email} at {server} are paused until {until} (UTC). Even the right password is refused until then.",
                    "If these attempts were yours, wait and try again. If not, someone may be guessing your password: consider changing it, and tell your administrator, who can also lift the pause.",
                ),
                Lang::Ko => (
                    "계정 로그인이 일시 중지되었습니다",
                    "로그인에 {failures}번 연속으로 실패하여 {server}의 {email} 계정 로그인이 {until}(UTC)까지 중지되었습니다. 그때까지는 올바른 비밀번호를 입력해도 로그인할 수 없습니다.",
                    "직접 시도하신 것이라면 잠시 후 다시 시도해 주세요. 그렇지 않다면 누군가 비밀번호를 추측하고 있을 수 있습니다. 비밀번호 변경을 고려하시고 관리자에게 알려 주세요. 관리자는 중지를 해제할 수도 있습니다.",
                ),
                Lang::Ja => (
                    "アカウントへのログインを一時停止しました",
                    "ログインに {failures} 回続けて失敗したため、{server} のアカウント {email} へのログインを {until}（UTC）まで停止しています。それまでは正しいパスワードでもログインできません。",
                    "ご自身の操作であれば、しばらく待ってから再度お試しください。お心当たりがない場合は、第三者がパスワードを推測しようとしている可能性があります。パスワードの変更をご検討のうえ、管理者に連絡してください。管理者は停止を解除することもできます。",
                ),
            };
            Parts {
                subject: subject.to_owned(),
                greeting,
                before: vec![fill(first, &v), fill(second, &v)],
                button: None,
                after: Vec::new(),
            }
        }
        Template::LoginDisabled { email, failures } => {
            let failures = failures.to_string();
            let v = [
                ("server", server),
                ("email", email.as_str()),
                ("failures", failures.as_str()),
            ];
            let (subject, first, second) = match lang {
                Lang::En => (
                    "Password login to your account is off",
                    "After {failures} failed login attempts in a row, password login to your account {email} at {server} has been turned off.",
                    "To turn it back on, choose a new password with \"Forgot password?\", or ask your administrator to unlock the account.",
                ),
                Lang::Ko => (
                    "계정의 비밀번호 로그인이 중지되었습니다",
                    "로그인에 {failures}번 연속으로 실패하여 {server}의 {email} 계정에 대한 비밀번호 로그인이 중지되었습니다.",
                    "다시 사용하려면 \"비밀번호를 잊으셨나요?\"로 새 비밀번호를 정하거나, 관리자에게 계정 잠금 해제를 요청해 주세요.",
                ),
                Lang::Ja => (
                    "アカウントへのパスワードログインを停止しました",
                    "ログインに {failures} 回続けて失敗したため、{server} のアカウント {email} へのパスワードログインを停止しました。",
                    "再び使えるようにするには、「パスワードをお忘れですか？」から新しいパスワードを設定するか、管理者にロックの解除を依頼してください。",
                ),
            };
            Parts {
                subject: subject.to_owned(),
                greeting,
                before: vec![fill(first, &v), fill(second, &v)],
                button: None,
                after: Vec::new(),
            }
        }
        Template::Test => {
            let v = [("server", server)];
            let (subject, line) = match lang {
                Lang::En => (
                    "Test message",
                    "This message shows that baigate at {server} can send mail.",
                ),
                Lang::Ko => (
                    "테스트 메일",
                    "{server}의 baigate가 메일을 보낼 수 있는지 확인하는 메일입니다.",
                ),
                Lang::Ja => (
                    "テストメール",
                    "{server} の baigate からメールを送信できることを確認するためのメールです。",
                ),
            };
            Parts {
                subject: subject.to_owned(),
                greeting,
                before: vec![fill(line, &v)],
                button: None,
                after: Vec::new(),
            }
        }
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders a message for a server (shown as its public URL).
pub fn render(template: &Template, lang: Lang, server: &str) -> Rendered {
    let parts = parts(template, lang, server);
    let signature = "— baigate";

    let mut text = format!("{}\n\n", parts.greeting);
    for paragraph in &parts.before {
        text.push_str(paragraph);
        text.push_str("\n\n");
    }
    if let Some((_, link)) = &parts.button {
        text.push_str(link);
        text.push_str("\n\n");
    }
    for paragraph in &parts.after {
        text.push_str(paragraph);
        text.push_str("\n\n");
    }
    text.push_str(signature);
    text.push('\n');

    let paragraph = |p: &str| {
        format!(
            "<p style=\"margin:0 0 16px;line-height:1.5\">{}</p>\n",
            escape_html(p)
        )
    };
    let mut body = paragraph(parts.greeting);
    for p in &parts.before {
        body.push_str(&paragraph(p));
    }
    if let Some((label, link)) = &parts.button {
        let link = escape_html(link);
        body.push_str(&format!(
            "<p style=\"margin:24px 0\"><a href=\"{link}\" style=\"background:#0f62fe;color:#ffffff;\
             padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block\">{}</a></p>\n\
             <p style=\"margin:0 0 16px;font-size:13px;color:#555555;word-break:break-all\">{link}</p>\n",
            escape_html(label)
        ));
    }
    for p in &parts.after {
        body.push_str(&paragraph(p));
    }
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title></head>\n\
         <body style=\"margin:0;padding:24px;background:#f4f5f7;font-family:system-ui,sans-serif;color:#1a1a1a\">\n\
         <div style=\"max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px\">\n\
         {body}<p style=\"margin:24px 0 0;color:#555555\">{signature}</p>\n</div>\n</body></html>\n",
        lang = lang.code(),
        title = escape_html(&parts.subject),
    );
    Rendered {
        subject: format!("[baigate] {}", parts.subject),
        text,
        html,
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
                    assert!(rendered.html.contains(&escape_html(link)));
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
        assert!(rendered.html.contains("&lt;script&gt;"));
        assert!(rendered.html.contains("a=1&amp;b=&quot;2&quot;"));
        assert!(rendered.text.contains("https://x/?a=1&b=\"2\""));
    }
}
