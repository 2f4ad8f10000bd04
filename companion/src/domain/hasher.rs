//! bcrypt, kept off the async threads and bounded to the machine's cores.
//!
//! Every verification (real or dummy) goes through one semaphore sized to the
//! number of cores, on the blocking pool: a flood of logins queues here instead
//! of starving the threads that answer everything else.
//!
//! bcrypt reads at most 72 bytes. Longer passwords are refused when set (the
//! policy) and never match when checked, so no password is ever truncated.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use baigate_shared::password::BCRYPT_MAX_BYTES;
use tokio::sync::{OnceCell, Semaphore};

use super::DomainError;

#[derive(Debug, Clone)]
pub struct PasswordHasher {
    cost: u32,
    permits: Arc<Semaphore>,
    /// Hashes of a password nobody knows, one per cost (made when first
    /// needed): unknown accounts are checked against the configured cost's,
    /// so they take as long as known ones; the lower ones make up the time a
    /// hash from before a cost raise would save.
    dummy_hashes: Arc<[OnceCell<String>; MAX_COST + 1]>,
    verifications: Arc<AtomicU64>,
    /// bcrypt work done, in units of one round (2^cost per verification).
    work: Arc<AtomicU64>,
}

/// bcrypt's highest cost.
const MAX_COST: usize = 31;

/// The cost a stored hash was made at.
fn cost_of(hash: &str) -> Option<u32> {
    hash.parse::<bcrypt::HashParts>()
        .ok()
        .map(|parts| parts.get_cost())
}

impl PasswordHasher {
    pub fn new(cost: u32) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            cost,
            permits: Arc::new(Semaphore::new(cores)),
            dummy_hashes: Arc::new(std::array::from_fn(|_| OnceCell::new())),
            verifications: Arc::new(AtomicU64::new(0)),
            work: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn cost(&self) -> u32 {
        self.cost
    }

    /// How many bcrypt verifications ran (real and dummy) since start.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// bcrypt work done since start, in rounds (2^cost per verification):
    /// what refusals must spend alike.
    pub fn work(&self) -> u64 {
        self.work.load(Ordering::Relaxed)
    }

    /// Hashes a password (already NFC-normalised and policy-checked). Refuses
    /// more than 72 bytes rather than hashing a prefix.
    pub async fn hash(&self, password: String) -> Result<String, DomainError> {
        if password.len() > BCRYPT_MAX_BYTES {
            return Err(DomainError::Internal(format!(
                "refusing to hash a password of {} bytes; bcrypt reads only {BCRYPT_MAX_BYTES}",
                password.len()
            )));
        }
        let cost = self.cost;
        self.run(move || bcrypt::hash(password.as_bytes(), cost))
            .await?
            .map_err(|e| DomainError::Internal(format!("bcrypt hash failed: {e}")))
    }

    /// Whether `password` matches `hash`. A malformed hash or an over-long
    /// password is a mismatch, never an error the caller could tell apart.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, DomainError> {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        if let Some(cost) = cost_of(&hash) {
            self.work.fetch_add(1u64 << cost.min(63), Ordering::Relaxed);
        }
        // bcrypt would compare only the first 72 bytes; a longer password can
        // never be one we stored, but it still spends the time of a check.
        let too_long = password.len() > BCRYPT_MAX_BYTES;
        let matched = self
            .run(move || bcrypt::verify(password.as_bytes(), &hash))
            .await?;
        Ok(matched.unwrap_or(false) && !too_long)
    }

    /// Spends the time of a real verification, for a login name with no account.
    pub async fn verify_dummy(&self, password: String) -> Result<(), DomainError> {
        let dummy = self.dummy_hash(self.cost).await?;
        self.verify(password, dummy).await.map(|_| ())
    }

    /// After a refused password whose stored hash is cheaper than the
    /// configured cost (made before the cost was raised): spends the work it
    /// saved, so the refusal takes as long as any other (2^s + 2^s + … +
    /// 2^(c-1) = 2^c). Otherwise such accounts would tell themselves apart
    /// from unknown names by answering faster.
    pub async fn make_up_cost(&self, password: String, stored: &str) -> Result<(), DomainError> {
        let Some(stored_cost) = cost_of(stored) else {
            return Ok(());
        };
        for cost in stored_cost..self.cost {
            let dummy = self.dummy_hash(cost).await?;
            self.verify(password.clone(), dummy).await?;
        }
        Ok(())
    }

    /// Computes the dummy hash ahead of the first unknown login, off the
    /// start-up path.
    pub fn warm_up(&self) {
        let hasher = self.clone();
        tokio::spawn(async move {
            if let Err(e) = hasher.dummy_hash(hasher.cost).await {
                tracing::warn!(error = %e, "could not precompute the dummy password hash");
            }
        });
    }

    /// Whether a stored hash was made at a lower cost than configured now.
    pub fn needs_upgrade(&self, hash: &str) -> bool {
        cost_of(hash).is_some_and(|cost| cost < self.cost)
    }

    async fn dummy_hash(&self, cost: u32) -> Result<String, DomainError> {
        let cell = self
            .dummy_hashes
            .get(usize::try_from(cost).unwrap_or(MAX_COST))
            .ok_or_else(|| DomainError::Internal(format!("bcrypt has no cost {cost}")))?;
        cell.get_or_try_init(|| async move {
            let secret = hex::encode(super::tokens::random_bytes::<16>()?);
            self.run(move || bcrypt::hash(secret, cost))
                .await?
                .map_err(|e| DomainError::Internal(format!("bcrypt hash failed: {e}")))
        })
        .await
        .cloned()
    }

    async fn run<T, F>(&self, work: F) -> Result<T, DomainError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| DomainError::Internal("the hashing pool is closed".into()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| DomainError::Internal(format!("a hashing task failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_count() {
        let hasher = PasswordHasher::new(4);
        let hash = hasher.hash("S3cret!pass".into()).await.unwrap();
        assert!(hash.starts_with("$2b$04$"));
        assert!(
            hasher
                .verify("S3cret!pass".into(), hash.clone())
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("S3cret!pasS".into(), hash.clone())
                .await
                .unwrap()
        );
        hasher.verify_dummy("anything".into()).await.unwrap();
        assert_eq!(hasher.verifications(), 3);
    }

    #[tokio::test]
    async fn never_truncates() {
        let hasher = PasswordHasher::new(4);
        let long = format!("{}X", "a".repeat(72));
        assert!(hasher.hash(long.clone()).await.is_err());
        let at_limit = "a".repeat(72);
        let hash = hasher.hash(at_limit.clone()).await.unwrap();
        // A 73-byte password sharing the first 72 bytes must not match.
        assert!(!hasher.verify(long, hash.clone()).await.unwrap());
        assert!(hasher.verify(at_limit, hash).await.unwrap());
    }

    #[tokio::test]
    async fn malformed_hashes_are_mismatches() {
        let hasher = PasswordHasher::new(4);
        assert!(
            !hasher
                .verify("x".into(), "not a hash".into())
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn knows_when_a_hash_is_weaker_than_configured() {
        let weak = PasswordHasher::new(4)
            .hash("S3cret!pass".into())
            .await
            .unwrap();
        assert!(PasswordHasher::new(5).needs_upgrade(&weak));
        assert!(!PasswordHasher::new(4).needs_upgrade(&weak));
        assert!(!PasswordHasher::new(5).needs_upgrade("garbage"));
    }
}
