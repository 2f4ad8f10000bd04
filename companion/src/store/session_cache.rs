//! Recent answers of `find_live_session`, so that the hottest request
//! (`/server/login-check`, sent by every open WebUI tab) does not reach SQLite.
//!
//! Correctness rests on two rules. Every write through this process's store
//! moves the generation on, and an entry counts only if it was read in the
//! current generation (the generation is taken *before* the read, so a read
//! that raced a write is never trusted). Writes by other processes (the CLI
//! while the server runs) are invisible to the generation, so an entry also
//! expires `FRESH_FOR` after its read: a session ended or an account disabled
//! from the CLI stops working within that time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::clock::UnixTime;
use crate::model::{Session, User, UserStatus};

/// How long an entry is trusted against writes from other processes.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// Entries kept at most; past it, stale entries go, then all of them.
const CAPACITY: usize = 4096;

#[derive(Debug)]
struct Entry {
    generation: u64,
    read_at: Instant,
    session: Session,
    user: User,
}

#[derive(Debug, Default)]
pub struct SessionCache {
    generation: AtomicU64,
    entries: Mutex<HashMap<[u8; 32], Entry>>,
}

impl SessionCache {
    /// The generation to tag a read with; take it before reading.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Called after every write: all entries read before it are void.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The cached live session for this token hash, if it is still current
    /// and still live at `now`.
    pub fn get(&self, token_hash: &[u8; 32], now: UnixTime) -> Option<(Session, User)> {
        let generation = self.generation();
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(token_hash)?;
        let current = entry.generation == generation && entry.read_at.elapsed() < FRESH_FOR;
        let live = entry.session.expires_at > now
            && entry.session.absolute_expires_at > now
            && entry.user.status == UserStatus::Active;
        (current && live).then(|| (entry.session.clone(), entry.user.clone()))
    }

    /// Keeps what a read found (`generation` taken before that read).
    pub fn put(&self, token_hash: [u8; 32], generation: u64, session: Session, user: User) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= CAPACITY {
            let current = self.generation();
            entries.retain(|_, e| e.generation == current && e.read_at.elapsed() < FRESH_FOR);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(
            token_hash,
            Entry {
                generation,
                read_at: Instant::now(),
                session,
                user,
            },
        );
    }
}
