//! A real SMTP server for the mail tests (the companion's and the end-to-end
//! ones): aiosmtpd (from PyPI, installed by `scripts/test.sh`) on a free
//! loopback port, delivering into a Maildir the tests read back.

// Test-harness code: a failed step is a failed test, so it panics with a
// message rather than threading errors through every test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mailparse::{MailHeaderMap, ParsedMail};

fn venv() -> PathBuf {
    if let Some(path) = std::env::var_os("AIOSMTPD_VENV") {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(|d| PathBuf::from(d).join("baigate"))
        .or_else(|| std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache/baigate")))
        .expect("HOME is set");
    cache.join("aiosmtpd")
}

/// A message as received.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Mail {
    /// The first link in the text part that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> String {
        self.text
            .split_whitespace()
            .find(|word| word.starts_with(prefix))
            .unwrap_or_else(|| panic!("no link starting with {prefix} in:\n{}", self.text))
            .to_owned()
    }

    /// The path and query of the first link starting with `prefix`.
    pub fn link_path(&self, prefix: &str) -> String {
        let link = self.link(prefix);
        let after_scheme = link
            .split_once("://")
            .map_or(link.as_str(), |(_, rest)| rest);
        after_scheme
            .find('/')
            .map_or_else(|| "/".to_owned(), |at| after_scheme[at..].to_owned())
    }

    /// A query parameter of the first link starting with `prefix`.
    pub fn link_param(&self, prefix: &str, key: &str) -> String {
        let link = url::Url::parse(&self.link(prefix)).expect("a URL");
        link.query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {key} in {link}"))
    }

    pub fn contains(&self, needle: &str) -> bool {
        self.text.contains(needle)
    }
}

fn text_of(part: &ParsedMail<'_>, mime: &str) -> Option<String> {
    if part.subparts.is_empty() {
        return (part.ctype.mimetype == mime).then(|| part.get_body().unwrap_or_default());
    }
    part.subparts.iter().find_map(|sub| text_of(sub, mime))
}

/// aiosmtpd, running; stopped when dropped.
#[derive(Debug)]
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    pub fn start() -> Self {
        let venv = venv();
        let python = venv.join("bin/python");
        assert!(
            python.is_file() && venv.join("bin/aiosmtpd").is_file(),
            "aiosmtpd is not installed at {}; run ./scripts/test.sh, which installs it",
            venv.display()
        );
        let maildir = tempfile::tempdir().unwrap();
        for attempt in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut child = Command::new(&python)
                .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(maildir.path().join("mail"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start aiosmtpd");
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(10) {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Self {
                        child,
                        port,
                        maildir,
                    };
                }
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("aiosmtpd did not start on port {port} (attempt {attempt})");
        }
        panic!("aiosmtpd did not start");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        let new = self.maildir.path().join("mail/new");
        let Ok(entries) = std::fs::read_dir(&new) else {
            return Vec::new();
        };
        // Maildir names carry the server's delivery counter (`…Q<n>.…`):
        // the order messages arrived in.
        let counter = |path: &PathBuf| -> u64 {
            path.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.split('Q').nth(1))
                .and_then(|rest| rest.split('.').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(u64::MAX)
        };
        let mut files: Vec<(u64, PathBuf)> = entries
            .filter_map(Result::ok)
            .map(|e| (counter(&e.path()), e.path()))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, path)| {
                let bytes = std::fs::read(&path).unwrap();
                let parsed = mailparse::parse_mail(&bytes).unwrap();
                Mail {
                    to: parsed.headers.get_first_value("To").unwrap_or_default(),
                    subject: parsed
                        .headers
                        .get_first_value("Subject")
                        .unwrap_or_default(),
                    text: text_of(&parsed, "text/plain").unwrap_or_default(),
                    html: text_of(&parsed, "text/html").unwrap_or_default(),
                }
            })
            .collect()
    }

    /// The messages sent to `to`.
    pub fn messages_to(&self, to: &str) -> Vec<Mail> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.contains(to))
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
