//! Configuration, layered: built-in defaults (enough for a laptop), then a TOML
//! file (`--config` or `BAIGATE_CONFIG`), then `BAIGATE_*` environment variables
//! (`__` separates sections: `BAIGATE_PASSWORD__BCRYPT_COST=10`), then flags.
//!
//! Every key is checked when the server starts; a bad one is a single line
//! naming the key and where it came from.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use baigate_shared::password::{BCRYPT_MAX_BYTES, PasswordPolicy};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use url::Url;

/// Where the companion listens unless told otherwise.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8090);

/// The extension's fixed id (from the public key in its manifest; see
/// `docs/extension-id.md`).
pub const EXTENSION_ORIGIN: &str = "chrome-extension://kkddbdcblenceacjpknibiiglhjplaad";

/// Origins allowed by default besides the server's own: the extension only.
/// A page on another port of this machine (a dev server, a notebook) must not
/// read a session with the user's cookie unless it is named, with its port.
pub const DEFAULT_ALLOWED_ORIGINS: [&str; 1] = [EXTENSION_ORIGIN];

/// Environment variable prefix; `BAIGATE_CONFIG` names the file instead of a key.
pub const ENV_PREFIX: &str = "BAIGATE_";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Holds the database, the encryption key and the mail outbox.
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub server: ServerConfig,
    pub password: PasswordConfig,
    pub session: SessionConfig,
    pub lockout: LockoutConfig,
    pub throttle: ThrottleConfig,
    pub totp: TotpConfig,
    pub api: ApiConfig,
    pub signup: SignupConfig,
    pub mail: MailConfig,
    pub log: LogConfig,
    pub sso: SsoConfig,
    pub store: StoreConfig,
}

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// Unset: SQLite in the data directory. `postgres://user:password@host/db`:
    /// PostgreSQL, shared by several companions (TLS for any host but this
    /// machine; `?sslmode=require` and the like as libpq has them).
    pub url: Option<Secret>,
    /// PostgreSQL connections each companion keeps (plus one that listens
    /// for the others' session changes).
    pub pool_size: u32,
    /// Certificate authorities (PEM) to trust for the database's
    /// certificate besides the system's.
    pub ca_file: Option<PathBuf>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            url: None,
            pool_size: 8,
            ca_file: None,
        }
    }
}

/// Single sign-on through an organisation's identity provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SsoConfig {
    /// Origins (`scheme://host[:port]`) that may receive a one-time SSO token
    /// besides the defaults: this server's public URL, the extension's pages
    /// and its `https://<id>.chromiumapp.org` address.
    pub allowed_redirects: Vec<String>,
    /// OpenID Connect; unset means no "Login with <realm>".
    pub openid: Option<OpenIdConfig>,
    /// SAML 2.0; unset means no "Login with SAML".
    pub saml: Option<SamlConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlConfig {
    /// The identity provider's metadata: a file, or an `https://` URL
    /// (`http://` only on this machine) read at start. It must hold the
    /// provider's signing certificate.
    pub idp_metadata: String,
    /// This service provider's entity id (`<public_url>/func/saml/metadata`
    /// when unset), the audience assertions must name.
    #[serde(default)]
    pub entity_id: Option<String>,
    /// The attribute that carries the email address (its `Name` or
    /// `FriendlyName`, e.g. `mail`); unset: the NameID, when it is one.
    #[serde(default)]
    pub email_attribute: Option<String>,
    /// Open an account on a first SAML login whose email matches none;
    /// otherwise such a login is refused.
    #[serde(default)]
    pub create_accounts: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenIdConfig {
    /// The provider's issuer URL; its `/.well-known/openid-configuration` is
    /// read at start.
    pub issuer: Url,
    pub client_id: String,
    pub client_secret: Secret,
    /// The button label: "Login with <realm_name>" ("OpenID" when unset).
    #[serde(default)]
    pub realm_name: Option<String>,
    #[serde(default = "default_openid_scopes")]
    pub scopes: Vec<String>,
    /// Open an account on a first SSO login whose verified email matches
    /// none; otherwise such a login is refused.
    #[serde(default)]
    pub create_accounts: bool,
}

fn default_openid_scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(str::to_owned).to_vec()
}

/// A configured secret: never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Who may open an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignupMode {
    /// Anyone who can reach the server.
    Open,
    /// Only holders of an invitation token (`baigate invite create`).
    Invite,
    /// Nobody; accounts come from `baigate user add`.
    Closed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignupConfig {
    pub mode: SignupMode,
    /// New accounts must follow a mailed link before they can log in.
    pub verify_email: bool,
    /// How long a verification link works.
    #[serde(with = "humantime_serde")]
    pub verification_lifetime: Duration,
    /// Offer "forgot password" mails and `/change-password`.
    pub allow_password_reset: bool,
    /// HTML (or plain text) files to serve at `/terms` and `/privacy` instead
    /// of the built-in texts. A `{lang}` in the path picks `en`, `ko` or `ja`.
    pub terms_file: Option<PathBuf>,
    pub privacy_file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// `smtps://user:password@host:465` (TLS),
    /// `smtp://user:password@host:587?tls=required` (STARTTLS), or
    /// `smtp://host:25` (no encryption: only for a relay on this machine).
    /// Unset: messages are written to `<data dir>/outbox` instead.
    pub smtp_url: Option<String>,
    /// The sender of every message.
    pub from: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// The URL clients reach this server at (links, `/config.toml`). Defaults to
    /// `http://<listen address>`.
    pub public_url: Option<Url>,
    /// Origins whose pages may call this server from a browser, each
    /// `scheme://host[:port]` exactly (the server's own is always allowed).
    pub allowed_origins: Vec<String>,
    /// Reverse proxies (addresses or networks) whose `X-Forwarded-For` names
    /// the client. Empty: the client is whoever opened the connection.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long a request's headers may take to arrive, and how long a
    /// connection may stay idle between requests.
    #[serde(with = "humantime_serde")]
    pub header_timeout: Duration,
    /// Connections one client address may hold open at once (trusted
    /// proxies excepted).
    pub max_connections_per_address: u32,
    /// Connections in all (also kept under the open-file limit).
    pub max_connections: u32,
    /// Serve HTTPS with this certificate.
    pub tls: Option<TlsConfig>,
}

/// A PEM certificate (chain) and its private key; both are read again when
/// they change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LockoutConfig {
    /// Failed logins in a row that lock an account (or a login name).
    pub max_failures: u32,
    /// How long a lock lasts, from the failure that started it.
    #[serde(with = "humantime_serde")]
    pub duration: Duration,
    /// Failures in a row, across locks, after which password login stays
    /// off until the password is reset or an administrator unlocks it.
    pub max_consecutive: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TotpConfig {
    /// Every account must set up two-factor authentication before it gets a
    /// session (at its next login, if it has not).
    pub required: bool,
    /// The name authenticator apps show next to the account.
    pub issuer: String,
}

impl Default for TotpConfig {
    fn default() -> Self {
        Self {
            required: false,
            issuer: "baigate".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// How far a signed request's date may be from the server's clock.
    #[serde(with = "humantime_serde")]
    pub signature_window: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            signature_window: Duration::from_secs(5 * 60),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThrottleConfig {
    /// Credential-checking requests one client IP may make per minute; 0 turns
    /// the throttle off.
    pub per_ip_per_minute: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordConfig {
    /// bcrypt work factor: each step doubles the time of a login.
    pub bcrypt_cost: u32,
    pub policy: PasswordPolicy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// A session ends this long after login or its last extension.
    #[serde(with = "humantime_serde")]
    pub lifetime: Duration,
    /// …and never later than this after login.
    #[serde(with = "humantime_serde")]
    pub absolute_max: Duration,
    /// Sessions one account may have at once; a login over it must say `force`.
    pub max_concurrent: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A `tracing` filter such as `info` or `baigate_companion=debug`;
    /// `RUST_LOG` wins when set.
    pub filter: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: default_data_dir(),
            listen: DEFAULT_LISTEN,
            server: ServerConfig::default(),
            password: PasswordConfig::default(),
            session: SessionConfig::default(),
            lockout: LockoutConfig::default(),
            throttle: ThrottleConfig::default(),
            totp: TotpConfig::default(),
            api: ApiConfig::default(),
            signup: SignupConfig::default(),
            mail: MailConfig::default(),
            log: LogConfig::default(),
            sso: SsoConfig::default(),
            store: StoreConfig::default(),
        }
    }
}

impl Default for SignupConfig {
    fn default() -> Self {
        Self {
            mode: SignupMode::Invite,
            verify_email: true,
            verification_lifetime: Duration::from_secs(24 * 60 * 60),
            allow_password_reset: true,
            terms_file: None,
            privacy_file: None,
        }
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "baigate <baigate@localhost>".to_owned(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            public_url: None,
            allowed_origins: DEFAULT_ALLOWED_ORIGINS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            trusted_proxies: Vec::new(),
            header_timeout: Duration::from_secs(10),
            max_connections_per_address: 64,
            max_connections: 4096,
            tls: None,
        }
    }
}

impl Default for PasswordConfig {
    fn default() -> Self {
        Self {
            bcrypt_cost: 12,
            policy: PasswordPolicy::default(),
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            lifetime: Duration::from_secs(60 * 60),
            absolute_max: Duration::from_secs(24 * 60 * 60),
            max_concurrent: 1,
        }
    }
}

impl Default for LockoutConfig {
    fn default() -> Self {
        Self {
            max_failures: 10,
            duration: Duration::from_secs(20 * 60),
            max_consecutive: 100,
        }
    }
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            per_ip_per_minute: 60,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            filter: "info".to_owned(),
        }
    }
}

/// `$XDG_DATA_HOME/baigate`, else `~/.local/share/baigate`, else `./baigate-data`.
fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("baigate");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/baigate");
    }
    PathBuf::from("baigate-data")
}

/// A configuration problem, printed as one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration key `{key}`: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl ConfigError {
    fn new(key: &str, message: impl fmt::Display) -> Self {
        Self {
            key: key.to_owned(),
            message: message.to_string(),
        }
    }
}

/// Values given on the command line; they win over everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub public_url: Option<String>,
}

impl Config {
    /// Loads the layers in order and checks the result.
    ///
    /// `file` is the `--config` path (or `BAIGATE_CONFIG`); a file that was
    /// asked for but is missing is an error, not a silent default.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::new(
                    "config",
                    format!("the file {} does not exist", path.display()),
                ));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__").ignore(&["config"]));
        if let Some(data_dir) = &overrides.data_dir {
            figment = figment.merge(Serialized::default("data_dir", data_dir));
        }
        if let Some(listen) = &overrides.listen {
            figment = figment.merge(Serialized::default("listen", listen));
        }
        if let Some(public_url) = &overrides.public_url {
            figment = figment.merge(Serialized::default("server.public_url", public_url));
        }
        let config: Config = figment.extract().map_err(|e| from_figment(e, file))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what types alone cannot say.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(4..=31).contains(&self.password.bcrypt_cost) {
            return Err(ConfigError::new(
                "password.bcrypt_cost",
                format!(
                    "{} is outside bcrypt's range 4 to 31",
                    self.password.bcrypt_cost
                ),
            ));
        }
        let policy = &self.password.policy;
        if policy.min_length == 0 {
            return Err(ConfigError::new(
                "password.policy.min_length",
                "must be at least 1",
            ));
        }
        if policy.max_bytes == 0 || policy.max_bytes > BCRYPT_MAX_BYTES {
            return Err(ConfigError::new(
                "password.policy.max_bytes",
                format!("must be between 1 and {BCRYPT_MAX_BYTES} (bcrypt reads no more)"),
            ));
        }
        if policy.min_length > policy.max_bytes {
            return Err(ConfigError::new(
                "password.policy.min_length",
                "is larger than password.policy.max_bytes, so no password could pass",
            ));
        }
        if let Some(url) = &self.server.public_url {
            check_public_url(url)?;
            if self.server.tls.is_some() && url.scheme() != "https" {
                return Err(ConfigError::new(
                    "server.public_url",
                    "must be https:// when server.tls is set (clients reach the server over HTTPS)",
                ));
            }
        }
        for origin in &self.server.allowed_origins {
            check_origin_pattern(origin).map_err(|message| {
                ConfigError::new("server.allowed_origins", format!("{origin:?}: {message}"))
            })?;
        }
        if self.server.header_timeout < Duration::from_secs(1)
            || self.server.header_timeout > Duration::from_secs(300)
        {
            return Err(ConfigError::new(
                "server.header_timeout",
                "must be between 1 second and 5 minutes",
            ));
        }
        if self.server.max_connections_per_address == 0 || self.server.max_connections == 0 {
            return Err(ConfigError::new(
                "server.max_connections_per_address",
                "connection limits must be at least 1",
            ));
        }
        if let Some(tls) = &self.server.tls {
            for (key, path) in [
                ("server.tls.cert_file", &tls.cert_file),
                ("server.tls.key_file", &tls.key_file),
            ] {
                if !path.is_file() {
                    return Err(ConfigError::new(
                        key,
                        format!("{} does not exist", path.display()),
                    ));
                }
            }
        }
        if self.session.lifetime < Duration::from_secs(60) {
            return Err(ConfigError::new(
                "session.lifetime",
                "must be at least 1 minute",
            ));
        }
        if self.session.absolute_max < self.session.lifetime {
            return Err(ConfigError::new(
                "session.absolute_max",
                "must not be shorter than session.lifetime",
            ));
        }
        if self.session.max_concurrent == 0 {
            return Err(ConfigError::new(
                "session.max_concurrent",
                "must be at least 1",
            ));
        }
        if self.lockout.max_failures == 0 {
            return Err(ConfigError::new(
                "lockout.max_failures",
                "must be at least 1",
            ));
        }
        if self.lockout.duration < Duration::from_secs(1) {
            return Err(ConfigError::new(
                "lockout.duration",
                "must be at least 1 second",
            ));
        }
        if self.lockout.max_consecutive < self.lockout.max_failures {
            return Err(ConfigError::new(
                "lockout.max_consecutive",
                "must not be smaller than lockout.max_failures",
            ));
        }
        if self.api.signature_window < Duration::from_secs(1)
            || self.api.signature_window > Duration::from_secs(15 * 60)
        {
            return Err(ConfigError::new(
                "api.signature_window",
                "must be between 1 second and 15 minutes",
            ));
        }
        if self.totp.issuer.is_empty() || self.totp.issuer.contains(':') {
            return Err(ConfigError::new(
                "totp.issuer",
                "must be a non-empty name without ':'",
            ));
        }
        if self.signup.verification_lifetime < Duration::from_secs(60) {
            return Err(ConfigError::new(
                "signup.verification_lifetime",
                "must be at least 1 minute",
            ));
        }
        for (key, file) in [
            ("signup.terms_file", &self.signup.terms_file),
            ("signup.privacy_file", &self.signup.privacy_file),
        ] {
            if let Some(path) = file {
                check_document_path(path).map_err(|message| ConfigError::new(key, message))?;
            }
        }
        if let Some(url) = &self.mail.smtp_url {
            check_smtp_url(url)?;
        }
        for origin in &self.sso.allowed_redirects {
            check_exact_origin(origin).map_err(|message| {
                ConfigError::new("sso.allowed_redirects", format!("{origin:?}: {message}"))
            })?;
        }
        if let Some(openid) = &self.sso.openid {
            check_openid(openid)?;
        }
        if let Some(saml) = &self.sso.saml {
            check_saml(saml)?;
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::new(
                "mail.from",
                format!(
                    "{:?} is not a mailbox such as `baigate <noreply@example.com>`",
                    self.mail.from
                ),
            ));
        }
        self.check_store()?;
        if tracing_subscriber::EnvFilter::try_new(&self.log.filter).is_err() {
            return Err(ConfigError::new(
                "log.filter",
                "is not a valid tracing filter",
            ));
        }
        Ok(())
    }

    /// The URL clients use, given the address actually bound (the configured
    /// port may be 0). An unspecified bind address is reached through loopback.
    pub fn public_url(&self, bound: SocketAddr) -> Result<Url, ConfigError> {
        if let Some(url) = &self.server.public_url {
            return Ok(url.clone());
        }
        let ip = match bound.ip() {
            ip if ip.is_unspecified() && ip.is_ipv4() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let scheme = if self.server.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let text = format!("{scheme}://{}/", SocketAddr::new(ip, bound.port()));
        Url::parse(&text).map_err(|e| ConfigError::new("server.public_url", e))
    }

    /// Several companions share one database (`store.url` is set).
    pub fn shared_database(&self) -> bool {
        self.store.url.is_some()
    }

    /// What several companions on one database need: a PostgreSQL URL,
    /// connections, and a mail server (an outbox directory is one
    /// instance's, so a link written there would never reach anyone).
    fn check_store(&self) -> Result<(), ConfigError> {
        let Some(url) = &self.store.url else {
            return Ok(());
        };
        if !(url.0.starts_with("postgres://") || url.0.starts_with("postgresql://")) {
            return Err(ConfigError::new(
                "store.url",
                "must be a postgres:// URL (or unset, for SQLite in the data directory)",
            ));
        }
        if !(1..=256).contains(&self.store.pool_size) {
            return Err(ConfigError::new(
                "store.pool_size",
                "must be between 1 and 256",
            ));
        }
        if let Some(path) = &self.store.ca_file
            && !path.is_file()
        {
            return Err(ConfigError::new(
                "store.ca_file",
                format!("{} does not exist", path.display()),
            ));
        }
        if self.mail.smtp_url.is_none() {
            return Err(ConfigError::new(
                "mail.smtp_url",
                "must be set when store.url is: several companions share the database, \
                 and an outbox directory would keep each one's mail to itself",
            ));
        }
        Ok(())
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("baigate.sqlite3")
    }

    /// Where messages go when no SMTP server is configured.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
}

fn check_public_url(url: &Url) -> Result<(), ConfigError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::new(
            "server.public_url",
            format!("{url}: must start with http:// or https://"),
        ));
    }
    if url.host_str().is_none() || url.cannot_be_a_base() {
        return Err(ConfigError::new(
            "server.public_url",
            format!("{url}: has no host"),
        ));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(
            "server.public_url",
            format!("{url}: must be just scheme, host and port (baigate serves at the root)"),
        ));
    }
    Ok(())
}

/// An origin with nothing else: `scheme://host[:port]`.
fn check_exact_origin(origin: &str) -> Result<(), String> {
    let url = Url::parse(origin).map_err(|e| e.to_string())?;
    let exact = url.origin().ascii_serialization();
    if !url.origin().is_tuple() && !origin.starts_with("chrome-extension://") {
        return Err("is not an origin".into());
    }
    if origin.trim_end_matches('/') != exact && !origin.starts_with("chrome-extension://") {
        return Err(format!(
            "must be just scheme, host and port, such as {exact}"
        ));
    }
    Ok(())
}

fn check_openid(openid: &OpenIdConfig) -> Result<(), ConfigError> {
    if !matches!(openid.issuer.scheme(), "https" | "http") {
        return Err(ConfigError::new(
            "sso.openid.issuer",
            "must be an https:// URL (http:// only for a provider on this machine)",
        ));
    }
    if openid.issuer.scheme() == "http" && !is_loopback_host(&openid.issuer) {
        return Err(ConfigError::new(
            "sso.openid.issuer",
            "must be https:// unless the provider runs on this machine",
        ));
    }
    if openid.client_id.trim().is_empty() {
        return Err(ConfigError::new(
            "sso.openid.client_id",
            "must not be empty",
        ));
    }
    if openid.client_secret.0.is_empty() {
        return Err(ConfigError::new(
            "sso.openid.client_secret",
            "must not be empty",
        ));
    }
    if !openid.scopes.iter().any(|scope| scope == "openid") {
        return Err(ConfigError::new(
            "sso.openid.scopes",
            "must include `openid`",
        ));
    }
    if let Some(name) = &openid.realm_name
        && (name.trim().is_empty() || name.chars().count() > 64 || name.contains(['"', '\\']))
    {
        return Err(ConfigError::new(
            "sso.openid.realm_name",
            "must be 1 to 64 characters without quotes or backslashes",
        ));
    }
    Ok(())
}

fn check_saml(saml: &SamlConfig) -> Result<(), ConfigError> {
    let metadata = saml.idp_metadata.trim();
    if metadata.is_empty() {
        return Err(ConfigError::new(
            "sso.saml.idp_metadata",
            "must name the identity provider's metadata: a file or an https:// URL",
        ));
    }
    if metadata.starts_with("http://") || metadata.starts_with("https://") {
        let url = Url::parse(metadata)
            .map_err(|e| ConfigError::new("sso.saml.idp_metadata", format!("{metadata:?}: {e}")))?;
        if url.scheme() == "http" && !is_loopback_host(&url) {
            return Err(ConfigError::new(
                "sso.saml.idp_metadata",
                "must be https:// unless the provider runs on this machine",
            ));
        }
    } else if !Path::new(metadata).is_file() {
        return Err(ConfigError::new(
            "sso.saml.idp_metadata",
            format!("{metadata} does not exist"),
        ));
    }
    if let Some(entity_id) = &saml.entity_id
        && (entity_id.trim().is_empty() || entity_id.len() > 1024)
    {
        return Err(ConfigError::new(
            "sso.saml.entity_id",
            "must be 1 to 1024 characters (a URL or URN)",
        ));
    }
    if saml
        .email_attribute
        .as_deref()
        .is_some_and(|name| name.trim().is_empty())
    {
        return Err(ConfigError::new(
            "sso.saml.email_attribute",
            "must not be empty",
        ));
    }
    Ok(())
}

fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Every language's file must exist when a `{lang}` path is given.
fn check_document_path(path: &Path) -> Result<(), String> {
    let text = path.to_string_lossy();
    let candidates: Vec<PathBuf> = if text.contains("{lang}") {
        crate::i18n::Lang::ALL
            .iter()
            .map(|lang| PathBuf::from(text.replace("{lang}", lang.code())))
            .collect()
    } else {
        vec![path.to_owned()]
    };
    match candidates.iter().find(|p| !p.is_file()) {
        Some(missing) => Err(format!("{} does not exist", missing.display())),
        None => Ok(()),
    }
}

fn check_smtp_url(url: &str) -> Result<(), ConfigError> {
    let parsed = Url::parse(url).map_err(|e| ConfigError::new("mail.smtp_url", e))?;
    if !matches!(parsed.scheme(), "smtp" | "smtps") {
        return Err(ConfigError::new(
            "mail.smtp_url",
            "must start with smtp:// (STARTTLS) or smtps:// (TLS)",
        ));
    }
    if parsed.host_str().is_none() {
        return Err(ConfigError::new("mail.smtp_url", "has no host"));
    }
    Ok(())
}

/// An allowed origin: exactly `scheme://host[:port]`.
fn check_origin_pattern(pattern: &str) -> Result<(), &'static str> {
    if pattern == "*" {
        return Err("a wildcard origin is never allowed");
    }
    if pattern.ends_with(":*") {
        return Err("name the port: a wildcard port would let any page on that host read sessions");
    }
    let url =
        Url::parse(pattern).map_err(|_| "is not an origin such as https://webui.example.com")?;
    if url.host_str().is_none() {
        return Err("has no host");
    }
    if url.path() != "/" && !url.path().is_empty() || pattern.ends_with('/') {
        return Err("must not have a path (an origin is scheme, host and port only)");
    }
    Ok(())
}

/// Turns figment's error into our one line, naming the key and its source.
fn from_figment(error: figment::Error, file: Option<&Path>) -> ConfigError {
    // For an unknown field, figment's path already ends with its name.
    let mut key = error.path.join(".");
    if key.is_empty() {
        key = "config".to_owned();
    }
    let origin = match error.metadata.as_ref() {
        Some(meta) => match &meta.source {
            Some(figment::Source::File(path)) => format!("file {}", path.display()),
            _ if meta.name.contains("environment") => format!(
                "environment variable {ENV_PREFIX}{}",
                key.replace('.', "__").to_uppercase()
            ),
            _ => meta.name.to_string(),
        },
        // Parse errors carry no metadata; they can only come from the file.
        None => file.map_or_else(
            || "defaults".to_owned(),
            |f| format!("file {}", f.display()),
        ),
    };
    ConfigError {
        key,
        message: format!("{} (from {origin})", one_line(&error.kind.to_string())),
    }
}

/// A multi-line parser message as one line: its first and last lines.
fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match lines.as_slice() {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [first, .., last] => format!("{first}: {last}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_patterns() {
        for ok in [
            "chrome-extension://kkddbdcblenceacjpknibiiglhjplaad",
            "https://webui.example.com",
            "http://localhost:8080",
            "http://[::1]:5173",
        ] {
            assert!(check_origin_pattern(ok).is_ok(), "{ok}");
        }
        for bad in [
            "*",
            "http://127.0.0.1:*",
            "webui.example.com",
            "https://webui.example.com/app",
            "https://x/",
        ] {
            assert!(check_origin_pattern(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_are_valid_and_local() {
        let config = Config::default();
        config.validate().unwrap();
        assert_eq!(config.listen, DEFAULT_LISTEN);
        assert_eq!(
            config
                .public_url("0.0.0.0:9000".parse().unwrap())
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9000/"
        );
        assert_eq!(
            config
                .public_url("127.0.0.1:8090".parse().unwrap())
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8090/"
        );
    }

    #[test]
    fn semantic_checks_name_the_key() {
        let mut config = Config::default();
        config.password.bcrypt_cost = 3;
        assert_eq!(config.validate().unwrap_err().key, "password.bcrypt_cost");

        let mut config = Config::default();
        config.session.absolute_max = Duration::from_secs(60);
        assert_eq!(config.validate().unwrap_err().key, "session.absolute_max");

        let mut config = Config::default();
        config.server.public_url = Some(Url::parse("https://example.com/sub/").unwrap());
        assert_eq!(config.validate().unwrap_err().key, "server.public_url");

        let mut config = Config::default();
        config.store.url = Some(Secret("postgres://baigate@db.example.com/baigate".into()));
        assert_eq!(
            config.validate().unwrap_err().key,
            "mail.smtp_url",
            "no outbox"
        );
        config.mail.smtp_url = Some("smtps://mail.example.com".into());
        config.validate().unwrap();
        config.store.url = Some(Secret("mysql://db.example.com/baigate".into()));
        assert_eq!(config.validate().unwrap_err().key, "store.url");

        let mut config = Config::default();
        config.password.policy.max_bytes = 100;
        assert_eq!(
            config.validate().unwrap_err().key,
            "password.policy.max_bytes"
        );
    }
}
