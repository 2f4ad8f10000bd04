//! A real OpenID provider for the single sign-on tests (the companion's and
//! the end-to-end ones): panva's `oidc-provider` from npm (installed into the
//! tool cache by `scripts/test.sh`), run by Node.js from
//! `tests/fixtures/oidc/op.mjs` on a free loopback port. Its people are
//! listed at the top of that file; each signs in with `<name>-pass`.
//!
//! [`SignIn`] drives the provider's sign-in form over HTTP the way a browser
//! would (its cookies kept, one redirect at a time), for tests that check
//! the companion's answers rather than a page; the end-to-end tests fill the
//! same form in Chromium ([`fill_sign_in`]).

// Test-harness code: a failed step is a failed test, so it panics with a
// message rather than threading errors through every test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use url::Url;

use crate::cookies::{CookieJar, step_agent};

/// The client the provider knows the companion as.
pub const CLIENT_ID: &str = "baigate";
pub const CLIENT_SECRET: &str = "baigate-secret";

/// Where `scripts/test.sh` installed `oidc-provider` (its `node_modules`).
fn install_dir() -> PathBuf {
    if let Some(path) = std::env::var_os("OIDC_PROVIDER_DIR") {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(|d| PathBuf::from(d).join("baigate"))
        .or_else(|| std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache/baigate")))
        .expect("HOME is set");
    cache.join("oidc-provider-8.8.1")
}

/// Fills the provider's sign-in form on `page` (Chromium) as `name` with
/// `password` and signs in, or cancels when `password` is `None`.
pub async fn fill_sign_in(
    page: &crate::Popup<'_>,
    name: &str,
    password: Option<&str>,
) -> anyhow::Result<()> {
    page.wait_for("#sign-in").await?;
    match password {
        Some(password) => {
            page.type_into("#username", name).await?;
            page.type_into("#password", password).await?;
            page.click("#sign-in").await
        }
        None => page.click("#cancel").await,
    }
}

/// The provider, running; stopped when dropped.
#[derive(Debug)]
pub struct OpenIdProvider {
    child: Child,
    pub issuer: String,
    _dir: tempfile::TempDir,
}

impl OpenIdProvider {
    pub fn start() -> Self {
        let modules = install_dir().join("node_modules");
        assert!(
            modules.join("oidc-provider").exists(),
            "oidc-provider is not installed in {}: run scripts/setup.sh test",
            modules.display()
        );
        // The script is run from a directory that sees the installed modules.
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::copy(
            crate::root().join("tests/fixtures/oidc/op.mjs"),
            dir.path().join("op.mjs"),
        )
        .expect("copy op.mjs");
        std::os::unix::fs::symlink(&modules, dir.path().join("node_modules"))
            .expect("link node_modules");
        let mut child = Command::new("node")
            .arg(dir.path().join("op.mjs"))
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node (the OpenID provider)");
        let issuer = crate::announced_line(&mut child, "OP ")
            .expect("the OpenID provider announces its issuer");
        Self {
            child,
            issuer,
            _dir: dir,
        }
    }

    /// One provider for the whole test binary, started at first use; it ends
    /// with the binary (its stdin closes).
    pub fn shared() -> &'static Self {
        static SHARED: std::sync::OnceLock<OpenIdProvider> = std::sync::OnceLock::new();
        SHARED.get_or_init(Self::start)
    }

    /// `BAIGATE_*` settings for a companion that trusts this provider.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("BAIGATE_SSO__OPENID__ISSUER", self.issuer.clone()),
            ("BAIGATE_SSO__OPENID__CLIENT_ID", CLIENT_ID.to_owned()),
            (
                "BAIGATE_SSO__OPENID__CLIENT_SECRET",
                CLIENT_SECRET.to_owned(),
            ),
            ("BAIGATE_SSO__OPENID__REALM_NAME", "Example".to_owned()),
        ]
    }

    /// Stops it now (a provider that has gone away).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OpenIdProvider {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A browser's part of a sign-in at the provider, over HTTP: its cookies
/// for the provider are kept between steps; redirects are followed one at a
/// time, and only while they stay at the provider.
#[derive(Debug, Default)]
pub struct SignIn {
    cookies: CookieJar,
}

impl SignIn {
    fn location<B>(response: &ureq::http::Response<B>, base: &Url) -> Option<Url> {
        let location = response.headers().get("location")?.to_str().ok()?;
        base.join(location).ok()
    }

    /// Follows `url` at the provider until it sends the browser elsewhere;
    /// returns that address and the last page's text.
    fn walk(&mut self, mut url: Url, issuer: &Url) -> (Option<Url>, String) {
        for _ in 0..10 {
            if url.origin() != issuer.origin() {
                return (Some(url), String::new());
            }
            let mut response = step_agent()
                .get(url.as_str())
                .header("cookie", self.cookies.header())
                .call()
                .expect("the provider answers");
            self.cookies.keep(&response);
            match Self::location(&response, &url) {
                Some(next) => url = next,
                None => {
                    let text = response.body_mut().read_to_string().unwrap_or_default();
                    return (None, text);
                }
            }
        }
        panic!("the provider redirects in a loop");
    }

    /// Opens the provider's authorization URL, signs in as `name` with
    /// `password` (or cancels when `password` is `None`), and returns the
    /// address the provider sends the browser back to (the companion's
    /// callback with `code` and `state`, or with an `error`).
    pub fn sign_in(&mut self, authorize: &str, name: &str, password: Option<&str>) -> Url {
        let authorize = Url::parse(authorize).expect("an authorization URL");
        let issuer = Url::parse(&authorize.origin().ascii_serialization()).unwrap();
        let (back, page) = self.walk(authorize.clone(), &issuer);
        if let Some(back) = back {
            // Signed in already: the provider answered at once.
            return back;
        }
        let action = page
            .split("action=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the sign-in form")
            .replace("&#47;", "/");
        let action = match password {
            Some(_) => action,
            None => action.replace("/login", "/cancel"),
        };
        let target = issuer.join(&action).unwrap();
        let body = match password {
            Some(password) => format!("username={name}&password={password}"),
            None => String::new(),
        };
        let response = step_agent()
            .post(target.as_str())
            .header("cookie", self.cookies.header())
            .header("content-type", "application/x-www-form-urlencoded")
            .send(body.as_bytes())
            .expect("the provider takes the form");
        self.cookies.keep(&response);
        let next = Self::location(&response, &target)
            .unwrap_or_else(|| panic!("the sign-in as {name} was refused"));
        match self.walk(next, &issuer) {
            (Some(back), _) => back,
            (None, page) => panic!("the provider stopped at a page: {page}"),
        }
    }
}
