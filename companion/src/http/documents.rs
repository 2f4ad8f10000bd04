//! The Terms of Service and the Privacy Policy: built-in texts in English,
//! Korean and Japanese, or the administrator's own files
//! (`signup.terms_file`, `signup.privacy_file`).

use std::path::{Path, PathBuf};

use crate::i18n::Lang;
use crate::mail::templates::escape_html;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    Terms,
    Privacy,
}

/// Sections of a built-in document: a heading and its paragraphs.
type Sections = &'static [(&'static str, &'static [&'static str])];

const TERMS_EN: Sections = &[
    (
        "Who runs this service",
        &[
            "This login service is run by the administrator of this server for the people they work with. The administrator decides who may have an account and may suspend or remove accounts.",
        ],
    ),
    (
        "Your account",
        &[
            "Use your own account only, keep your password and API secret key to yourself, and tell the administrator at once if you think someone else knows them.",
            "Do not try to get into accounts or data that are not yours, and do not disturb the service for others, for example with automated login attempts.",
        ],
    ),
    (
        "No guarantees",
        &[
            "The service is provided as it is, without a promise that it will always be available or free of errors. The administrator may change these terms; the date they change is when they apply.",
        ],
    ),
];

const TERMS_KO: Sections = &[
    (
        "서비스 운영자",
        &[
            "이 로그인 서비스는 이 서버의 관리자가 함께 일하는 사람들을 위해 운영합니다. 누가 계정을 가질 수 있는지는 관리자가 정하며, 관리자는 계정을 정지하거나 삭제할 수 있습니다.",
        ],
    ),
    (
        "계정 사용",
        &[
            "본인의 계정만 사용하고, 비밀번호와 API 비밀 키는 다른 사람에게 알리지 마세요. 다른 사람이 알게 되었다고 생각되면 즉시 관리자에게 알려 주세요.",
            "자신의 것이 아닌 계정이나 데이터에 접근하려 하거나, 자동화된 로그인 시도처럼 다른 사람의 서비스 이용을 방해하는 행위를 하지 마세요.",
        ],
    ),
    (
        "보증의 부인",
        &[
            "이 서비스는 현재 상태 그대로 제공되며, 항상 이용할 수 있거나 오류가 없다고 보증하지 않습니다. 관리자는 이 약관을 변경할 수 있으며, 변경된 약관은 변경한 날부터 적용됩니다.",
        ],
    ),
];

const TERMS_JA: Sections = &[
    (
        "運営者",
        &[
            "このログインサービスは、このサーバーの管理者が、共に働くメンバーのために運営しています。アカウントを持てる人は管理者が決め、管理者はアカウントを停止または削除できます。",
        ],
    ),
    (
        "アカウントの利用",
        &[
            "ご自身のアカウントだけを使い、パスワードと API シークレットキーは他人に知らせないでください。他人に知られたおそれがある場合は、すぐに管理者に連絡してください。",
            "自分のものではないアカウントやデータにアクセスしようとしたり、自動化されたログインの試行などで他の人のサービス利用を妨げたりしないでください。",
        ],
    ),
    (
        "保証の否認",
        &[
            "このサービスは現状のまま提供され、常に利用できることや誤りがないことは保証されません。管理者はこの規約を変更でき、変更後の規約は変更した日から適用されます。",
        ],
    ),
];

const PRIVACY_EN: Sections = &[
    (
        "What is kept",
        &[
            "Your email address, your username, a one-way hash of your password (never the password itself), your API access key and your encrypted secret key.",
            "For each login session: when it started and was last used, the IP address and the browser's user agent. Sessions are removed when they end.",
            "A record of sign-in events (successful and failed logins, logouts, password changes) with their time, IP address and user agent, so that misuse can be noticed.",
        ],
    ),
    (
        "What it is used for",
        &[
            "Only to let you log in, to keep your account safe, and to send you messages about your account: address confirmation, password reset and security notices. Nothing is sold or shared.",
        ],
    ),
    (
        "Where it is",
        &[
            "Everything stays on this server, run by its administrator. Ask the administrator to see or delete what is kept about you.",
        ],
    ),
];

const PRIVACY_KO: Sections = &[
    (
        "보관하는 정보",
        &[
            "이메일 주소, 사용자 이름, 비밀번호의 단방향 해시(비밀번호 자체는 보관하지 않음), API 액세스 키와 암호화된 비밀 키.",
            "로그인 세션마다 시작 시각과 마지막 사용 시각, IP 주소, 브라우저의 사용자 에이전트. 세션이 끝나면 삭제합니다.",
            "오남용을 알아챌 수 있도록 로그인 관련 기록(로그인 성공·실패, 로그아웃, 비밀번호 변경)을 시각, IP 주소, 사용자 에이전트와 함께 보관합니다.",
        ],
    ),
    (
        "이용 목적",
        &[
            "로그인, 계정 보호, 그리고 주소 확인·비밀번호 재설정·보안 알림 같은 계정 관련 메일 발송에만 이용합니다. 정보를 판매하거나 제3자와 공유하지 않습니다.",
        ],
    ),
    (
        "보관 위치",
        &[
            "모든 정보는 관리자가 운영하는 이 서버에만 보관됩니다. 보관된 본인 정보의 열람이나 삭제는 관리자에게 요청해 주세요.",
        ],
    ),
];

const PRIVACY_JA: Sections = &[
    (
        "保存する情報",
        &[
            "メールアドレス、ユーザー名、パスワードの一方向ハッシュ（パスワードそのものは保存しません）、API アクセスキーと暗号化したシークレットキー。",
            "ログインセッションごとの開始時刻と最終利用時刻、IP アドレス、ブラウザのユーザーエージェント。セッションは終了時に削除します。",
            "不正利用に気づけるよう、ログイン関連の記録（ログインの成功と失敗、ログアウト、パスワード変更）を時刻、IP アドレス、ユーザーエージェントとともに保存します。",
        ],
    ),
    (
        "利用目的",
        &[
            "ログイン、アカウントの保護、そしてアドレス確認・パスワード再設定・セキュリティ通知といったアカウントに関するメールの送信にのみ利用します。販売や第三者への提供は行いません。",
        ],
    ),
    (
        "保存場所",
        &[
            "すべての情報は、管理者が運営するこのサーバー上にのみ保存されます。ご自身の情報の開示や削除は管理者に依頼してください。",
        ],
    ),
];

fn built_in(document: Document, lang: Lang) -> Sections {
    match (document, lang) {
        (Document::Terms, Lang::En) => TERMS_EN,
        (Document::Terms, Lang::Ko) => TERMS_KO,
        (Document::Terms, Lang::Ja) => TERMS_JA,
        (Document::Privacy, Lang::En) => PRIVACY_EN,
        (Document::Privacy, Lang::Ko) => PRIVACY_KO,
        (Document::Privacy, Lang::Ja) => PRIVACY_JA,
    }
}

/// The document's body as HTML: the configured file for `lang` (`{lang}` in
/// its path), else the built-in text. A file that is not HTML is shown as
/// paragraphs of plain text.
pub fn body(document: Document, lang: Lang, file: Option<&Path>) -> std::io::Result<String> {
    if let Some(path) = file {
        let path = PathBuf::from(path.to_string_lossy().replace("{lang}", lang.code()));
        let text = std::fs::read_to_string(&path)?;
        let is_html = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
        if is_html {
            return Ok(text);
        }
        return Ok(text
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| format!("<p>{}</p>\n", escape_html(p)))
            .collect());
    }
    let mut html = String::new();
    for (heading, paragraphs) in built_in(document, lang) {
        html.push_str(&format!("<h2>{}</h2>\n", escape_html(heading)));
        for paragraph in *paragraphs {
            html.push_str(&format!("<p>{}</p>\n", escape_html(paragraph)));
        }
    }
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_documents_exist_in_every_language() {
        for document in [Document::Terms, Document::Privacy] {
            let bodies: Vec<String> = Lang::ALL
                .iter()
                .map(|lang| body(document, *lang, None).unwrap())
                .collect();
            for html in &bodies {
                assert!(html.contains("<h2>") && html.len() > 200);
            }
            assert_ne!(bodies[0], bodies[1]);
            assert_ne!(bodies[1], bodies[2]);
        }
    }

    #[test]
    fn configured_files_per_language() {
        let dir = tempfile::tempdir().unwrap();
        for lang in Lang::ALL {
            std::fs::write(
                dir.path().join(format!("terms.{}.txt", lang.code())),
                format!("Rules <{}>\n\nSecond", lang.code()),
            )
            .unwrap();
        }
        std::fs::write(dir.path().join("privacy.html"), "<h2>Ours</h2>").unwrap();
        let terms = dir.path().join("terms.{lang}.txt");
        let html = body(Document::Terms, Lang::Ko, Some(&terms)).unwrap();
        assert_eq!(html, "<p>Rules &lt;ko&gt;</p>\n<p>Second</p>\n");
        let privacy = dir.path().join("privacy.html");
        assert_eq!(
            body(Document::Privacy, Lang::Ja, Some(&privacy)).unwrap(),
            "<h2>Ours</h2>"
        );
    }
}
