//! The rules of accounts, logins and sessions. Handlers call in here; this
//! calls the store. Time comes from the injected [`Clock`].
//!
//! One [`Domain`] value, its methods grouped by concern, one file each:
//! - [`credentials`]: checking passwords and codes, with the [`lockout`] rule
//!   applied (every other file that takes a credential calls it);
//! - [`auth`]: login and logout; [`sessions`]: live sessions;
//! - [`passwords`]: changing a known password; [`recovery`]: mailed links;
//! - [`accounts`], [`signup`], [`invitations`], [`keypairs`], [`totp`],
//!   [`signing`] (API keypair requests), [`sso`] (single sign-on);
//! - pure helpers: [`lockout`], [`otp`], [`tokens`], [`keys`], [`hasher`].

pub mod accounts;
pub mod auth;
pub mod background;
pub mod credentials;
pub mod hasher;
pub mod invitations;
pub mod keypairs;
pub mod keys;
pub mod lockout;
pub mod otp;
pub mod passwords;
pub mod recovery;
#[cfg(feature = "saml")]
pub mod saml;
pub mod sessions;
pub mod signing;
pub mod signup;
pub mod sso;
pub mod tokens;
pub mod totp;

use std::sync::Arc;

use baigate_shared::password::PasswordPolicy;

use crate::clock::{Clock, UnixTime};
use crate::config::{Config, SignupMode};
use crate::i18n::Lang;
use crate::mail::Mailer;
use crate::mail::templates::Template;
use crate::model::User;
use crate::store::{Store, StoreError};
use hasher::PasswordHasher;
use keys::KeyRing;

/// A failure that is the server's, not the request's.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

/// The database as `/health` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatabaseReport {
    /// It takes a write now.
    pub answers: bool,
    /// `sqlite` or `postgresql`.
    pub engine: &'static str,
    /// Cached session lookups are in use: always on SQLite; on PostgreSQL
    /// while this instance hears the other instances' changes.
    pub session_cache: bool,
}

/// How long sessions live, in seconds, and how many an account may have.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub lifetime: i64,
    pub absolute_max: i64,
    pub max_concurrent: i64,
}

impl SessionPolicy {
    fn from_config(config: &Config) -> Self {
        let seconds = |d: std::time::Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Self {
            lifetime: seconds(config.session.lifetime),
            absolute_max: seconds(config.session.absolute_max),
            max_concurrent: i64::from(config.session.max_concurrent),
        }
    }

    /// The idle and absolute deadlines of a session started at `now`.
    pub fn deadlines(&self, now: UnixTime) -> (UnixTime, UnixTime) {
        let absolute = now.saturating_add(self.absolute_max);
        (now.saturating_add(self.lifetime).min(absolute), absolute)
    }
}

/// Who may sign up and how accounts are recovered.
#[derive(Debug, Clone)]
pub struct SignupPolicy {
    pub mode: SignupMode,
    pub verify_email: bool,
    /// Seconds a verification link works.
    pub verification_lifetime: i64,
    pub allow_password_reset: bool,
}

impl SignupPolicy {
    fn from_config(config: &Config) -> Self {
        Self {
            mode: config.signup.mode,
            verify_email: config.signup.verify_email,
            verification_lifetime: i64::try_from(config.signup.verification_lifetime.as_secs())
                .unwrap_or(i64::MAX),
            allow_password_reset: config.signup.allow_password_reset,
        }
    }
}

/// Everything the handlers need, cheap to clone.
#[derive(Debug, Clone)]
pub struct Domain {
    store: Store,
    hasher: PasswordHasher,
    keys: KeyRing,
    clock: Arc<dyn Clock>,
    mailer: Mailer,
    policy: PasswordPolicy,
    sessions: SessionPolicy,
    lockout: lockout::LockoutPolicy,
    signup: SignupPolicy,
    /// `scheme://host[:port]` for links in mails.
    public_origin: String,
    /// Every account must have 2FA before it gets a session.
    totp_required: bool,
    /// The name authenticator apps show for the account.
    totp_issuer: String,
    /// Seconds a signed request's date may be off.
    signature_window: i64,
    background: background::Background,
    sso: sso::SsoPolicy,
}

/// The parts a [`Domain`] is made of.
#[derive(Debug)]
pub struct Parts {
    pub store: Store,
    pub keys: KeyRing,
    pub clock: Arc<dyn Clock>,
    pub mailer: Mailer,
    pub public_origin: String,
}

impl Domain {
    pub fn new(parts: Parts, config: &Config) -> Self {
        Self {
            store: parts.store,
            hasher: PasswordHasher::new(config.password.bcrypt_cost),
            keys: parts.keys,
            clock: parts.clock,
            mailer: parts.mailer,
            policy: config.password.policy.clone(),
            sessions: SessionPolicy::from_config(config),
            lockout: lockout::LockoutPolicy::from_config(&config.lockout),
            signup: SignupPolicy::from_config(config),
            public_origin: parts.public_origin.trim_end_matches('/').to_owned(),
            totp_required: config.totp.required,
            totp_issuer: config.totp.issuer.clone(),
            signature_window: i64::try_from(config.api.signature_window.as_secs()).unwrap_or(300),
            background: background::Background::default(),
            sso: sso::SsoPolicy::from_config(config, &parts.public_origin),
        }
    }

    /// Waits for mail and other work started in the background.
    pub async fn settle_background(&self) {
        self.background.settle().await;
    }

    pub fn signup_policy(&self) -> &SignupPolicy {
        &self.signup
    }

    pub fn totp_required(&self) -> bool {
        self.totp_required
    }

    pub fn mailer(&self) -> &Mailer {
        &self.mailer
    }

    pub fn public_origin(&self) -> &str {
        &self.public_origin
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    pub fn password_policy(&self) -> &PasswordPolicy {
        &self.policy
    }

    /// Whether the database answers (for `/health`).
    pub async fn database_answers(&self) -> bool {
        self.store.ping().await.is_ok()
    }

    /// What `/health` says about the database.
    pub async fn database_report(&self) -> DatabaseReport {
        DatabaseReport {
            answers: self.database_answers().await,
            engine: self.store.engine(),
            session_cache: self.store.session_cache_trusted(),
        }
    }

    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }

    /// Mails a notice to an account without waiting for the mail server;
    /// a failure is logged with `failure` and the account's id.
    pub(crate) fn mail_in_background(
        &self,
        user: &User,
        template: Template,
        lang: Lang,
        failure: &'static str,
    ) {
        let mailer = self.mailer.clone();
        let email = user.email.clone();
        let uuid = user.uuid.clone();
        self.background.spawn(async move {
            if let Err(e) = mailer.send(&email, &template, lang).await {
                tracing::warn!(user = %uuid, error = %e, "{failure}");
            }
        });
    }
}
