//! The end-to-end harness: a real `baigate serve` process on a free loopback
//! port with a temporary data directory, Debian's Chromium (headless, through
//! chromedriver) with the unpacked extension from `dist/extension`, and the
//! popup driven the way a person uses it.

pub mod cookies;
pub mod front;
pub mod openid;
pub mod postgres;
pub mod saml;
pub mod smtp;
pub mod tls;
pub mod webserver;
pub mod webui;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use base64::Engine;
use fantoccini::elements::Element;
use fantoccini::wd::WindowHandle;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A password the default policy accepts.
pub const PASSWORD: &str = "Gate-keeper-42!";
/// How long a wait for the popup may take before the test fails.
const WAIT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(40);

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The `baigate` binary: `BAIGATE_BIN`, or the workspace's debug build.
pub fn companion_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("BAIGATE_BIN") {
        return Ok(PathBuf::from(path));
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    let path = target.join("debug/baigate");
    ensure!(
        path.exists(),
        "{} is missing: build it first (cargo build -p baigate-companion) or set BAIGATE_BIN",
        path.display()
    );
    Ok(path)
}

/// The unpacked extension.
pub fn extension_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("BAIGATE_EXTENSION_DIR")
        .map_or_else(|| root().join("dist/extension"), PathBuf::from);
    ensure!(
        dir.join("manifest.json").exists() && dir.join("pkg").exists(),
        "{} holds no built extension: run scripts/build-extension.sh",
        dir.display()
    );
    Ok(dir.canonicalize()?)
}

/// The extension's id, from the public key in its manifest (what Chromium
/// computes: SHA-256 of the key, first 32 hex digits, 0-f mapped to a-p).
pub fn extension_id(dir: &Path) -> Result<String> {
    let manifest: Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json"))?)?;
    let key = manifest["key"]
        .as_str()
        .context("the manifest has no key")?;
    let der = base64::engine::general_purpose::STANDARD.decode(key)?;
    Ok(Sha256::digest(der)
        .iter()
        .take(16)
        .flat_map(|byte| [byte >> 4, byte & 0xf])
        .map(|nibble| char::from(b'a' + nibble))
        .collect())
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Where screenshots go: `dist/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    root().join("dist/screenshots")
}

/// The address a just-started `baigate serve` (stdout piped) announces, within
/// 20 seconds; the process is killed if it announces none.
pub fn announced_address(child: &mut Child) -> Result<String> {
    announced_line(child, "listening on ")
        .map(|url| url.trim_end_matches('/').to_owned())
        .context("baigate serve did not announce its address")
}

/// The word after `marker` in the first line of a started process's stdout
/// (piped) that has it, within 20 seconds; the process is killed if none does.
pub fn announced_line(child: &mut Child, marker: &str) -> Result<String> {
    let stdout = child.stdout.take().context("no stdout")?;
    let (sender, receiver) = mpsc::channel();
    let wanted = marker.to_owned();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split(wanted.as_str()).nth(1) {
                let word = rest.split_whitespace().next().unwrap_or_default();
                let _ = sender.send(word.to_owned());
            }
        }
    });
    match receiver.recv_timeout(Duration::from_secs(20)) {
        Ok(word) => Ok(word),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the process printed no line with {marker:?}")
        }
    }
}

/// `baigate serve`, started as a user starts it, on a fresh data directory.
#[derive(Debug)]
pub struct Companion {
    child: Child,
    pub url: String,
    data_dir: tempfile::TempDir,
}

impl Companion {
    /// Starts with extra `BAIGATE_*` settings. bcrypt runs at its lowest
    /// cost so that the lockout test's many attempts stay quick.
    pub fn start(settings: &[(&str, &str)]) -> Result<Self> {
        let data_dir = tempfile::tempdir()?;
        let mut command = Self::command(data_dir.path())?;
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (key, value) in settings {
            command.env(key, value);
        }
        let mut child = command.spawn().context("starting baigate serve")?;
        let url = announced_address(&mut child)?;
        Ok(Self {
            child,
            url,
            data_dir,
        })
    }

    fn command(data_dir: &Path) -> Result<Command> {
        let mut command = Command::new(companion_binary()?);
        for (key, _) in std::env::vars() {
            if key.starts_with("BAIGATE_") || key == "RUST_LOG" {
                command.env_remove(key);
            }
        }
        command
            .env("BAIGATE_PASSWORD__BCRYPT_COST", "4")
            .arg("--data-dir")
            .arg(data_dir);
        Ok(command)
    }

    /// Runs a `baigate` command on the same data directory.
    pub fn cli(&self, args: &[&str], stdin: &str) -> Result<Output> {
        let mut child = Self::command(self.data_dir.path())?
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        child
            .stdin
            .take()
            .context("no stdin")?
            .write_all(stdin.as_bytes())?;
        let output = child.wait_with_output()?;
        ensure!(
            output.status.success(),
            "baigate {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(output)
    }

    /// `baigate user add` with [`PASSWORD`]; returns the access key.
    pub fn add_user(&self, email: &str, username: &str) -> Result<String> {
        let output = self.cli(
            &[
                "user",
                "add",
                "--email",
                email,
                "--username",
                username,
                "--password-stdin",
            ],
            &format!("{PASSWORD}\n"),
        )?;
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .find_map(|line| line.strip_prefix("access key: "))
            .map(str::to_owned)
            .context("user add printed no access key")
    }

    /// `baigate user add` with [`PASSWORD`]; returns the access key and the
    /// secret key (printed once).
    pub fn add_user_with_keys(&self, email: &str, username: &str) -> Result<(String, String)> {
        let output = self.cli(
            &[
                "user",
                "add",
                "--email",
                email,
                "--username",
                username,
                "--password-stdin",
            ],
            &format!("{PASSWORD}\n"),
        )?;
        let printed = String::from_utf8_lossy(&output.stdout);
        let line = |prefix: &str| {
            printed
                .lines()
                .find_map(|line| line.strip_prefix(prefix))
                .map(str::to_owned)
                .with_context(|| format!("user add printed no {prefix}"))
        };
        Ok((line("access key: ")?, line("secret key: ")?))
    }

    /// `baigate invite create --uses N`; returns the token and the signup link.
    pub fn invite(&self, uses: u32) -> Result<(String, String)> {
        let output = self.cli(&["invite", "create", "--uses", &uses.to_string()], "")?;
        let printed = String::from_utf8_lossy(&output.stdout);
        let line = |prefix: &str| {
            printed
                .lines()
                .find_map(|line| line.strip_prefix(prefix))
                .map(str::to_owned)
                .with_context(|| format!("invite create printed no {prefix}"))
        };
        Ok((line("token: ")?, line("signup link: ")?))
    }

    /// Starts a session through the API, as another browser would.
    pub fn log_in_elsewhere(&self, username: &str) -> Result<String> {
        let login = http()
            .post(format!("{}/server/login", self.url))
            .header("User-Agent", "Mozilla/5.0 (Windows NT 10.0) Firefox/120.0")
            .send_json(json!({"username": username, "password": PASSWORD}))?;
        login
            .headers()
            .get("x-backendai-sessionid")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .context("login gave no session")
    }

    /// Turns on 2FA for an account through the API, as a user would in the
    /// web UI; returns the secret and the recovery codes. The confirming code
    /// is the previous time step's, so the current step's code is unused.
    pub fn enrol_totp(&self, username: &str) -> Result<Enrolment> {
        let agent = http();
        let login = agent
            .post(format!("{}/server/login", self.url))
            .send_json(json!({"username": username, "password": PASSWORD}))?;
        let session = login
            .headers()
            .get("x-backendai-sessionid")
            .and_then(|v| v.to_str().ok())
            .context("login gave no session")?
            .to_owned();
        let enrolment: Value = agent
            .post(format!("{}/func/totp", self.url))
            .header("X-BackendAI-SessionID", &session)
            .send_empty()?
            .into_body()
            .read_json()?;
        let key = enrolment["totp_key"].as_str().context("no totp_key")?;
        let secret = totp_rs::Secret::Encoded(key.to_owned())
            .to_bytes()
            .map_err(|e| anyhow!("bad key: {e:?}"))?;
        let mut confirmed = agent
            .post(format!("{}/func/totp/verify", self.url))
            .header("X-BackendAI-SessionID", &session)
            .send_json(json!({"otp": totp_code(&secret, -1)?}))?;
        ensure!(
            confirmed.status().as_u16() == 200,
            "enrolment was not confirmed"
        );
        let confirmed: Value = confirmed.body_mut().read_json()?;
        let recovery_codes = confirmed["recovery_codes"]
            .as_array()
            .context("no recovery codes")?
            .iter()
            .filter_map(|code| code.as_str().map(str::to_owned))
            .collect();
        agent
            .post(format!("{}/server/logout", self.url))
            .header("X-BackendAI-SessionID", &session)
            .send_empty()?;
        Ok(Enrolment {
            secret,
            recovery_codes,
        })
    }
}

impl Drop for Companion {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What turning on 2FA gave.
#[derive(Debug)]
pub struct Enrolment {
    pub secret: Vec<u8>,
    pub recovery_codes: Vec<String>,
}

/// Waits for the first mail to `to` and returns it.
pub async fn wait_for_mail(smtp: &smtp::SmtpServer, to: &str) -> Result<smtp::Mail> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(mail) = smtp.messages_to(to).into_iter().next() {
            return Ok(mail);
        }
        ensure!(Instant::now() < deadline, "no mail to {to}");
        tokio::time::sleep(POLL).await;
    }
}

/// A copy of the built extension with build settings (`settings.json`), as
/// `BAIGATE_PINNED_ENDPOINT=… scripts/build-extension.sh` writes them.
pub fn extension_with_settings(settings: &Value) -> Result<tempfile::TempDir> {
    let source = extension_dir()?;
    let copy = tempfile::tempdir()?;
    copy_dir(&source, copy.path())?;
    std::fs::write(
        copy.path().join("settings.json"),
        serde_json::to_vec(settings)?,
    )?;
    Ok(copy)
}

/// A copy of the built extension whose manifest already holds host access
/// to `origins` (match patterns such as `https://baigate.team.test/*`): what
/// the user grants in the browser's prompt at the first login to an address
/// that is not this machine. The prompt is the browser's own window, which
/// WebDriver cannot click; with the access granted before, the popup's
/// request is answered at once, as after that click.
pub fn extension_with_access(origins: &[&str]) -> Result<tempfile::TempDir> {
    let copy = tempfile::tempdir()?;
    copy_dir(&extension_dir()?, copy.path())?;
    let manifest_path = copy.path().join("manifest.json");
    let mut manifest: Value = serde_json::from_slice(&std::fs::read(&manifest_path)?)?;
    let hosts = manifest
        .get_mut("host_permissions")
        .and_then(Value::as_array_mut)
        .context("the manifest lists host_permissions")?;
    hosts.extend(origins.iter().map(|origin| Value::from(*origin)));
    std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest)?)?;
    Ok(copy)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// A blocking HTTP client that returns 4xx/5xx answers instead of errors.
pub fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// The RFC 6238 code of `secret` for the current time step plus `offset`.
pub fn totp_code(secret: &[u8], offset: i64) -> Result<String> {
    let totp = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        secret.to_vec(),
        None,
        String::new(),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let at = now
        .checked_add_signed(offset * 30)
        .context("time out of range")?;
    Ok(totp.generate(at))
}

/// Chromium with the extension, in its own profile, through its own
/// chromedriver. Call [`Browser::close`] at the end; dropping it without
/// closing stops what it started.
#[derive(Debug)]
pub struct Browser {
    client: Option<Client>,
    webdriver: String,
    driver: Child,
    profile: tempfile::TempDir,
    pub extension_id: String,
}

impl Browser {
    /// A browser whose interface is in English.
    pub async fn start() -> Result<Self> {
        Self::start_in("en-US").await
    }

    /// A browser whose interface language is `lang` (e.g. `ko`, `ja`).
    pub async fn start_in(lang: &str) -> Result<Self> {
        Self::start_with(lang, &extension_dir()?).await
    }

    /// A browser in `lang` with the unpacked extension in `extension`.
    pub async fn start_with(lang: &str, extension: &Path) -> Result<Self> {
        Self::start_with_flags(lang, extension, &[]).await
    }

    /// Like [`Browser::start_with`], with more Chromium command-line flags
    /// (a host-resolver rule, a certificate to trust).
    pub async fn start_with_flags(lang: &str, extension: &Path, flags: &[String]) -> Result<Self> {
        let extension = extension.canonicalize()?;
        let extension_id = extension_id(&extension)?;
        let profile = tempfile::tempdir()?;
        let port = free_port()?;
        let driver_path =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let locale = lang.replace('-', "_");
        let mut driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            // Chromium on Linux takes its interface language from these.
            .env("LANGUAGE", &locale)
            .env("LANG", format!("{locale}.UTF-8"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {driver_path} (is chromium-driver installed?)"))?;
        let webdriver = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            match Self::connect(&webdriver, &extension, profile.path(), lang, flags).await {
                Ok(client) => break client,
                Err(error) if started.elapsed() < Duration::from_secs(20) => {
                    if let Ok(Some(status)) = driver.try_wait() {
                        bail!("chromedriver exited ({status}): {error}");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => {
                    let _ = driver.kill();
                    let _ = driver.wait();
                    return Err(error);
                }
            }
        };
        Ok(Self {
            client: Some(client),
            webdriver,
            driver,
            profile,
            extension_id,
        })
    }

    async fn connect(
        webdriver: &str,
        extension: &Path,
        profile: &Path,
        lang: &str,
        flags: &[String],
    ) -> Result<Client> {
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let extension = extension.display();
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=420,820",
        ]
        .iter()
        .map(|flag| (*flag).to_owned())
        .collect();
        args.extend([
            format!("--lang={lang}"),
            format!("--user-data-dir={}", profile.display()),
            format!("--disable-extensions-except={extension}"),
            format!("--load-extension={extension}"),
        ]);
        args.extend(flags.iter().cloned());
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": binary,
                "args": args,
                "prefs": {"intl.accept_languages": lang},
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        Ok(ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(webdriver)
            .await?)
    }

    pub fn client(&self) -> Result<&Client> {
        self.client.as_ref().context("the browser is closed")
    }

    /// Opens the popup page in the current tab.
    pub async fn open_popup(&self) -> Result<Popup<'_>> {
        let client = self.client()?;
        client
            .goto(&format!(
                "chrome-extension://{}/popup.html",
                self.extension_id
            ))
            .await?;
        let popup = Popup { client };
        popup.wait_for("[data-panel]").await?;
        Ok(popup)
    }

    /// Opens the popup in a window of its own, so that the page in the
    /// current window stays the active tab the popup acts on (as with the
    /// toolbar popup, which floats over the page). Returns the page's window
    /// for [`Browser::back_to`].
    pub async fn open_popup_beside(&self) -> Result<(Popup<'_>, WindowHandle)> {
        let client = self.client()?;
        let page = client.window().await?;
        let popup_window = client.new_window(false).await?;
        client.switch_to_window(popup_window.handle).await?;
        Ok((self.open_popup().await?, page))
    }

    /// Waits for a window that is not one of `known` (one the browser opened
    /// by itself, such as a single sign-on window) and switches to it.
    pub async fn switch_to_new_window(&self, known: &[WindowHandle]) -> Result<Popup<'_>> {
        let client = self.client()?;
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(new) = client
                .windows()
                .await?
                .into_iter()
                .find(|window| !known.contains(window))
            {
                client.switch_to_window(new).await?;
                return Ok(Popup { client });
            }
            ensure!(Instant::now() < deadline, "no new window opened");
            tokio::time::sleep(POLL).await;
        }
    }

    /// Switches to `window` (left open) and drives its page.
    pub async fn switch_to(&self, window: WindowHandle) -> Result<Popup<'_>> {
        let client = self.client()?;
        client.switch_to_window(window).await?;
        Ok(Popup { client })
    }

    /// Closes the current window and returns to `window`.
    pub async fn back_to(&self, window: WindowHandle) -> Result<Popup<'_>> {
        let client = self.client()?;
        client.close_window().await?;
        client.switch_to_window(window).await?;
        Ok(Popup { client })
    }

    /// Sends a DevTools command through chromedriver; its result.
    pub async fn devtools(&self, command: &str, params: Value) -> Result<Value> {
        let session = self
            .client()?
            .session_id()
            .await?
            .context("no WebDriver session")?;
        let url = format!("{}/session/{session}/goog/cdp/execute", self.webdriver);
        let body = json!({"cmd": command, "params": params});
        let answer: Value = tokio::task::spawn_blocking(move || -> Result<Value> {
            let mut reply = http().post(url).send_json(body)?;
            Ok(reply.body_mut().read_json()?)
        })
        .await??;
        ensure!(
            answer
                .get("value")
                .is_some_and(|v| v.get("error").is_none()),
            "{command}: {answer}"
        );
        Ok(answer["value"].clone())
    }

    /// The running service workers' URLs (the extension's among them while
    /// its worker runs).
    pub async fn service_workers(&self) -> Result<Vec<String>> {
        let targets = self.devtools("Target.getTargets", json!({})).await?;
        Ok(targets["targetInfos"]
            .as_array()
            .context("no targets")?
            .iter()
            .filter(|t| t["type"] == "service_worker")
            .filter_map(|t| t["url"].as_str().map(str::to_owned))
            .collect())
    }

    /// Opens one of the extension's pages (`options.html`) in the current tab.
    pub async fn open_extension_page(&self, path: &str) -> Result<Popup<'_>> {
        self.open_page(&format!("chrome-extension://{}/{path}", self.extension_id))
            .await
    }

    /// Opens any page in the current tab (a mailed link, say), driven with
    /// the same helpers as the popup.
    pub async fn open_page(&self, url: &str) -> Result<Popup<'_>> {
        let client = self.client()?;
        client.goto(url).await?;
        Ok(Popup { client })
    }

    /// Adds `address` in the options page as a WebUI address, as a person
    /// does (the sidebar script runs only on configured origins), and waits
    /// until the script is registered on its origin. Leaves the current tab
    /// on the options page.
    pub async fn add_webui_address(&self, address: &str) -> Result<()> {
        let page = self.open_extension_page("options.html").await?;
        page.wait_for("main.options").await?;
        page.type_into("#webui-origin", address).await?;
        page.click(".inline-form button[type=submit]").await?;
        let origin = url::Url::parse(address)?.origin().ascii_serialization();
        page.wait_for(&format!(".origin[data-origin=\"{origin}\"]"))
            .await?;
        let deadline = Instant::now() + WAIT;
        while !sidebar_patterns(&page)
            .await?
            .contains(&format!("{origin}/*"))
        {
            ensure!(
                Instant::now() < deadline,
                "the sidebar script was not registered on {origin}"
            );
            tokio::time::sleep(POLL).await;
        }
        Ok(())
    }

    /// Ends the WebDriver session (which quits Chromium) and chromedriver.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // A Chromium left behind by a failed test: only ours, found by the
        // profile directory it was started with.
        let marker = format!("--user-data-dir={}", self.profile.path().display());
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let pid = entry.file_name();
                let Some(pid) = pid
                    .to_str()
                    .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
                else {
                    continue;
                };
                let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                if String::from_utf8_lossy(&cmdline).contains(&marker) {
                    let _ = Command::new("kill").args(["-9", pid]).status();
                }
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.client.is_some() {
            self.stop();
        }
    }
}

/// The match patterns the sidebar content script is registered on, read
/// from one of the extension's pages.
pub async fn sidebar_patterns(page: &Popup<'_>) -> Result<Vec<String>> {
    let value = page
        .eval(
            "return chrome.scripting.getRegisteredContentScripts()
               .then((scripts) => scripts.flatMap((s) => s.matches));",
        )
        .await?;
    Ok(value
        .as_array()
        .context("registered scripts")?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect())
}

/// Keys as WebDriver names them.
pub mod keys {
    pub const ENTER: &str = "\u{E007}";
    pub const ESCAPE: &str = "\u{E00C}";
    pub const TAB: &str = "\u{E004}";
}

/// The popup page: what a person sees and does, by the `data-*` hooks the
/// popup's markup carries.
#[derive(Debug)]
pub struct Popup<'a> {
    client: &'a Client,
}

impl<'a> Popup<'a> {
    pub fn client(&self) -> &'a Client {
        self.client
    }

    /// Waits for an element to appear.
    pub async fn wait_for(&self, css: &str) -> Result<Element> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                return Ok(element);
            }
            if Instant::now() > deadline {
                let body = self.client.find(Locator::Css("body")).await?.text().await?;
                bail!("{css} did not appear; the popup shows: {body}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until `css` is gone.
    pub async fn wait_gone(&self, css: &str) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        while self.client.find(Locator::Css(css)).await.is_ok() {
            ensure!(Instant::now() < deadline, "{css} did not go away");
            tokio::time::sleep(POLL).await;
        }
        Ok(())
    }

    /// The panel shown (`login`, `otp`, `locked`, `conflict`, `start`).
    pub async fn panel(&self) -> Result<String> {
        self.wait_for("[data-panel]")
            .await?
            .attr("data-panel")
            .await?
            .context("no panel name")
    }

    /// Waits for a panel.
    pub async fn expect_panel(&self, name: &str) -> Result<()> {
        self.wait_for(&format!("[data-panel=\"{name}\"]"))
            .await
            .map(|_| ())
    }

    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.wait_for(css).await?.text().await?)
    }

    pub async fn attr(&self, css: &str, name: &str) -> Result<Option<String>> {
        Ok(self.wait_for(css).await?.attr(name).await?)
    }

    /// The key of the notice shown (e.g. `errorMismatch`).
    pub async fn notice(&self) -> Result<String> {
        self.attr("[data-notice]", "data-notice")
            .await?
            .context("notice without a key")
    }

    /// Waits for the notice `key`.
    pub async fn expect_notice(&self, key: &str) -> Result<String> {
        self.text(&format!("[data-notice=\"{key}\"]")).await
    }

    /// Replaces an input's value by typing.
    pub async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let input = self.wait_for(css).await?;
        input.clear().await?;
        input.send_keys(text).await?;
        Ok(())
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        self.wait_for(css).await?.click().await?;
        Ok(())
    }

    /// Presses keys on whatever has the focus.
    pub async fn press(&self, keys: &str) -> Result<()> {
        self.client.active_element().await?.send_keys(keys).await?;
        Ok(())
    }

    /// The `id` of the focused element.
    pub async fn focused_id(&self) -> Result<String> {
        Ok(self
            .client
            .active_element()
            .await?
            .attr("id")
            .await?
            .unwrap_or_default())
    }

    /// Points the popup at `endpoint` (a companion) through the Advanced field.
    pub async fn use_endpoint(&self, endpoint: &str) -> Result<()> {
        self.use_endpoint_answering(endpoint, "companion").await
    }

    /// Points the popup at `endpoint` and waits for the health pill to say
    /// `health` (`companion`, `backend-ai`…).
    pub async fn use_endpoint_answering(&self, endpoint: &str, health: &str) -> Result<()> {
        self.expect_panel("login").await?;
        let open = self
            .client
            .find(Locator::Css("details.advanced[open]"))
            .await
            .is_ok();
        if !open {
            self.click("details.advanced summary").await?;
        }
        self.type_into("#endpoint", endpoint).await?;
        self.press(keys::ENTER).await?;
        self.wait_for(&format!("[data-health=\"{health}\"]"))
            .await?;
        Ok(())
    }

    /// Types a login and presses Enter.
    pub async fn log_in(&self, user: &str, password: &str) -> Result<()> {
        self.expect_panel("login").await?;
        self.type_into("#username", user).await?;
        self.type_into("#password", password).await?;
        self.press(keys::ENTER).await
    }

    /// Saves a screenshot of the popup as `dist/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        // Let the frame that shows the latest state be painted.
        tokio::time::sleep(Duration::from_millis(120)).await;
        // The popup's own area, as the toolbar shows it.
        let png = self.wait_for("body").await?.screenshot().await?;
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Seconds left on a countdown (`data-remaining`).
    pub async fn remaining(&self, css: &str) -> Result<i64> {
        self.attr(css, "data-remaining")
            .await?
            .context("no data-remaining")?
            .parse()
            .context("data-remaining is not a number")
    }

    /// Waits until `css` holds `text`.
    pub async fn wait_text(&self, css: &str, text: &str) -> Result<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(shown) = element.text().await
                && shown.contains(text)
            {
                return Ok(shown);
            }
            if Instant::now() > deadline {
                let body = self.client.find(Locator::Css("body")).await?.text().await?;
                bail!("{css} never said {text:?}; the page shows: {body}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Whether an element is on the page now.
    pub async fn has(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// Runs a script in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Result<Value> {
        Ok(self.client.execute(script, Vec::new()).await?)
    }
}
