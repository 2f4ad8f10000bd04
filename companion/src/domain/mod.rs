//! The rules of accounts, logins and sessions. Handlers call in here; this
//! calls the store. Time comes from the injected [`Clock`].

pub mod accounts;
pub mod auth;
pub mod hasher;
pub mod keys;
pub mod tokens;

use std::sync::Arc;

use baigate_shared::password::PasswordPolicy;

use crate::clock::{Clock, UnixTime};
use crate::config::Config;
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

/// How long sessions live, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub lifetime: i64,
    pub absolute_max: i64,
}

impl SessionPolicy {
    fn from_config(config: &Config) -> Self {
        let seconds = |d: std::time::Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Self {
            lifetime: seconds(config.session.lifetime),
            absolute_max: seconds(config.session.absolute_max),
        }
    }

    /// The idle and absolute deadlines of a session started at `now`.
    pub fn deadlines(&self, now: UnixTime) -> (UnixTime, UnixTime) {
        let absolute = now.saturating_add(self.absolute_max);
        (now.saturating_add(self.lifetime).min(absolute), absolute)
    }
}

/// Everything the handlers need, cheap to clone.
#[derive(Debug, Clone)]
pub struct Domain {
    store: Store,
    hasher: PasswordHasher,
    keys: KeyRing,
    clock: Arc<dyn Clock>,
    policy: PasswordPolicy,
    sessions: SessionPolicy,
}

impl Domain {
    pub fn new(store: Store, keys: KeyRing, clock: Arc<dyn Clock>, config: &Config) -> Self {
        Self {
            store,
            hasher: PasswordHasher::new(config.password.bcrypt_cost),
            keys,
            clock,
            policy: config.password.policy.clone(),
            sessions: SessionPolicy::from_config(config),
        }
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

    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }
}
