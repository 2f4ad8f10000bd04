//! The Terms of Service and the Privacy Policy: the built-in texts of
//! [`crate::texts`], or the administrator's own files (`signup.terms_file`,
//! `signup.privacy_file`, with `{lang}` in the path for one per language).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Path as RoutePath};
use poem::{Request, Response, handler};

use super::{Layout, html};
use crate::http::AppState;
use crate::i18n::Lang;
use crate::texts::{Section, texts};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    Terms,
    Privacy,
}

/// What a document page shows.
#[derive(Debug, PartialEq, Eq)]
enum DocumentBody {
    BuiltIn(&'static [Section]),
    /// A plain-text file, as paragraphs (split at blank lines).
    Paragraphs(Vec<String>),
    /// The administrator's own HTML file, shown as it is.
    OwnHtml(String),
}

impl PartialEq for Section {
    fn eq(&self, other: &Self) -> bool {
        self.heading == other.heading && self.paragraphs == other.paragraphs
    }
}

impl Eq for Section {}

#[derive(Debug, Template)]
#[template(path = "pages/document.html")]
struct DocumentPage {
    layout: Layout,
    body: DocumentBody,
}

/// The document in `lang`: the configured file for it, else the built-in text.
fn body(document: Document, lang: Lang, file: Option<&Path>) -> std::io::Result<DocumentBody> {
    let Some(path) = file else {
        let texts = texts(lang);
        return Ok(DocumentBody::BuiltIn(match document {
            Document::Terms => texts.terms,
            Document::Privacy => texts.privacy,
        }));
    };
    let path = PathBuf::from(path.to_string_lossy().replace("{lang}", lang.code()));
    let text = std::fs::read_to_string(&path)?;
    let is_html = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
    if is_html {
        return Ok(DocumentBody::OwnHtml(text));
    }
    Ok(DocumentBody::Paragraphs(
        text.split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
    ))
}

fn document_page(state: &AppState, document: Document, lang: Lang, here: &str) -> Response {
    let (title, file): (fn(&crate::texts::PageText) -> &'static str, _) = match document {
        Document::Terms => (|t| t.terms, state.documents.terms.as_deref()),
        Document::Privacy => (|t| t.privacy, state.documents.privacy.as_deref()),
    };
    let layout = Layout::new(lang, title, here).wide();
    match body(document, lang, file) {
        Ok(body) => html(&DocumentPage { layout, body }, StatusCode::OK),
        Err(e) => {
            tracing::error!(error = %e, "a configured document cannot be read");
            let body = DocumentBody::Paragraphs(vec![layout.t.err_server.to_owned()]);
            html(
                &DocumentPage { layout, body },
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    }
}

/// `GET /terms`
#[handler]
pub async fn terms(req: &Request, lang: Lang, Data(state): Data<&Arc<AppState>>) -> Response {
    document_page(state, Document::Terms, lang, &req.uri().to_string())
}

/// `GET /privacy`
#[handler]
pub async fn privacy(req: &Request, lang: Lang, Data(state): Data<&Arc<AppState>>) -> Response {
    document_page(state, Document::Privacy, lang, &req.uri().to_string())
}

/// `GET /resources/documents/<name>.<lang>.html`, where the WebUI's signup
/// dialog looks for the documents.
#[handler]
pub async fn webui_document(
    RoutePath(name): RoutePath<String>,
    Data(state): Data<&Arc<AppState>>,
) -> poem::Result<Response> {
    let mut parts = name.split('.');
    let (Some(stem), Some(code), Some("html"), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(poem::error::NotFoundError.into());
    };
    let document = match stem {
        "terms-of-service" => Document::Terms,
        "privacy-policy" => Document::Privacy,
        _ => return Err(poem::error::NotFoundError.into()),
    };
    let lang = Lang::from_tag(code).unwrap_or_default();
    Ok(document_page(
        state,
        document,
        lang,
        &format!("/resources/documents/{name}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_documents_exist_in_every_language() {
        for document in [Document::Terms, Document::Privacy] {
            let bodies: Vec<DocumentBody> = Lang::ALL
                .iter()
                .map(|lang| body(document, *lang, None).unwrap())
                .collect();
            for body in &bodies {
                assert!(matches!(body, DocumentBody::BuiltIn(sections) if sections.len() >= 2));
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
        let terms_file = dir.path().join("terms.{lang}.txt");
        assert_eq!(
            body(Document::Terms, Lang::Ko, Some(&terms_file)).unwrap(),
            DocumentBody::Paragraphs(vec!["Rules <ko>".into(), "Second".into()])
        );
        let privacy_file = dir.path().join("privacy.html");
        assert_eq!(
            body(Document::Privacy, Lang::Ja, Some(&privacy_file)).unwrap(),
            DocumentBody::OwnHtml("<h2>Ours</h2>".into())
        );
    }
}
