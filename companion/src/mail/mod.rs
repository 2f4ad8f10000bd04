//! Sending mail: through an SMTP server when `mail.smtp_url` is set, else
//! into `<data dir>/outbox` as `.eml` files (with the message's link in the
//! log), so every flow works on a laptop with no mail server.

pub mod templates;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::clock::{Clock, UnixTime};
use crate::i18n::Lang;
use templates::{Template, render};

/// How long one SMTP exchange may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail settings are not usable: {0}")]
    Config(String),
    #[error("the address {0:?} cannot receive mail")]
    Recipient(String),
    #[error("the message could not be built: {0}")]
    Build(String),
    #[error("the mail server did not take the message: {0}")]
    Smtp(String),
    #[error("the message could not be written to {path}: {source}")]
    Outbox {
        path: String,
        source: std::io::Error,
    },
}

/// Where a message went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    Outbox(PathBuf),
}

#[derive(Clone)]
enum Transport {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// `host:port`, for messages (never the credentials).
        server: String,
    },
    Outbox(PathBuf),
}

#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    /// The public URL, named in messages.
    server: String,
    /// Names outbox files in the order they were written.
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("via", &self.describe())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// From the settings: SMTP when `smtp_url` is set, else the outbox.
    pub fn new(
        smtp_url: Option<&str>,
        from: &str,
        outbox: PathBuf,
        server: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, MailError> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| MailError::Config(format!("mail.from: {e}")))?;
        let transport = match smtp_url {
            Some(url) => {
                let parsed = url::Url::parse(url)
                    .map_err(|e| MailError::Config(format!("mail.smtp_url: {e}")))?;
                let server = format!(
                    "{}:{}",
                    parsed.host_str().unwrap_or_default(),
                    parsed.port_or_known_default().unwrap_or(587)
                );
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| MailError::Config(format!("mail.smtp_url: {e}")))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Transport::Smtp { transport, server }
            }
            None => Transport::Outbox(outbox),
        };
        Ok(Self {
            transport,
            from,
            server: server.trim_end_matches('/').to_owned(),
            clock,
        })
    }

    /// "SMTP server host:port" or "the outbox <dir>".
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp { server, .. } => format!("the SMTP server {server}"),
            Transport::Outbox(dir) => format!("the outbox {}", dir.display()),
        }
    }

    /// Renders a template in `lang` and sends it to `to`.
    pub async fn send(
        &self,
        to: &str,
        template: &Template,
        lang: Lang,
    ) -> Result<Delivery, MailError> {
        let recipient: Mailbox = to
            .parse()
            .map_err(|_| MailError::Recipient(to.to_owned()))?;
        let rendered = render(template, lang, &self.server);
        let message = Message::builder()
            .from(self.from.clone())
            .to(recipient)
            .subject(rendered.subject)
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .map_err(|e| MailError::Build(e.to_string()))?;
        match &self.transport {
            Transport::Smtp { transport, server } => {
                transport.send(message).await.map_err(|e| {
                    tracing::warn!(server = %server, error = %e, "mail not sent");
                    MailError::Smtp(format!("{server}: {e}"))
                })?;
                tracing::info!(server = %server, "mail sent");
                Ok(Delivery::Sent)
            }
            Transport::Outbox(dir) => {
                let path = write_outbox(dir, &message.formatted(), self.clock.now()).await?;
                // No mail server: the link goes to the log so the flow can go on.
                tracing::info!(path = %path.display(), link = template.link().unwrap_or("-"), "mail written to the outbox");
                Ok(Delivery::Outbox(path))
            }
        }
    }
}

impl Template {
    /// The link a message carries, if any.
    pub fn link(&self) -> Option<&str> {
        match self {
            Self::VerifyEmail { link, .. } | Self::ResetPassword { link, .. } => Some(link),
            _ => None,
        }
    }
}

/// Writes a message as `<dir>/<unix time>-<random>.eml`, owner-only: the
/// messages carry tokens.
async fn write_outbox(dir: &Path, bytes: &[u8], now: UnixTime) -> Result<PathBuf, MailError> {
    let dir = dir.to_owned();
    let bytes = bytes.to_vec();
    // Only tells messages of one second apart; a name taken already is
    // refused (never overwritten), so a failed random source is no risk.
    let mut random = [0u8; 6];
    let suffix = match getrandom::fill(&mut random) {
        Ok(()) => hex::encode(random),
        Err(_) => "message".to_owned(),
    };
    tokio::task::spawn_blocking(move || {
        let fail = |source| MailError::Outbox {
            path: dir.display().to_string(),
            source,
        };
        crate::private_files::create_dir(&dir).map_err(fail)?;
        let path = dir.join(format!("{now}-{suffix}.eml"));
        crate::private_files::write_new(&path, &bytes).map_err(fail)?;
        Ok(path)
    })
    .await
    .map_err(|e| MailError::Build(format!("the outbox writer failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_outbox_keeps_each_message_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let mailer = Mailer::new(
            None,
            "baigate <baigate@localhost>",
            outbox.clone(),
            "http://127.0.0.1:8090/",
            Arc::new(crate::clock::SystemClock),
        )
        .unwrap();
        assert!(mailer.describe().contains("outbox"));
        let template = Template::ResetPassword {
            email: "user@example.com".into(),
            link: "http://127.0.0.1:8090/change-password?token=abc".into(),
            minutes: 15,
        };
        let Delivery::Outbox(path) = mailer
            .send("user@example.com", &template, Lang::Ko)
            .await
            .unwrap()
        else {
            panic!("expected the outbox");
        };
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("To: user@example.com"), "{text}");
        assert!(text.contains("From: baigate <baigate@localhost>"));
        assert!(text.contains("multipart/alternative"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let second = mailer
            .send("user@example.com", &Template::Test, Lang::En)
            .await
            .unwrap();
        assert_ne!(second, Delivery::Outbox(path));
        assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 2);
    }

    #[tokio::test]
    async fn bad_addresses_and_unreachable_servers_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = Mailer::new(
            None,
            "baigate@localhost",
            dir.path().into(),
            "http://x",
            Arc::new(crate::clock::SystemClock),
        )
        .unwrap();
        assert!(matches!(
            mailer
                .send("not an address", &Template::Test, Lang::En)
                .await,
            Err(MailError::Recipient(_))
        ));
        // A port nothing listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mailer = Mailer::new(
            Some(&format!("smtp://127.0.0.1:{port}")),
            "baigate@localhost",
            dir.path().into(),
            "http://x",
            Arc::new(crate::clock::SystemClock),
        )
        .unwrap();
        assert!(mailer.describe().contains(&format!("127.0.0.1:{port}")));
        let err = mailer
            .send("user@example.com", &Template::Test, Lang::En)
            .await
            .unwrap_err();
        assert!(matches!(err, MailError::Smtp(_)), "{err}");
        assert!(
            err.to_string().contains(&format!("127.0.0.1:{port}")),
            "{err}"
        );
        let clock: Arc<dyn Clock> = Arc::new(crate::clock::SystemClock);
        assert!(
            Mailer::new(
                Some("smtp://"),
                "a@b.c",
                dir.path().into(),
                "x",
                clock.clone()
            )
            .is_err()
        );
        assert!(Mailer::new(None, "not a mailbox", dir.path().into(), "x", clock).is_err());
    }
}
