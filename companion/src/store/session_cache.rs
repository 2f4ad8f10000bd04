//! Recent answers of `find_live_session`, so that the hottest request
//! (`/server/login-check`, sent by every open WebUI tab) does not reach the
//! database.
//!
//! Correctness rests on these rules. Every write through this process's
//! store that changes or deletes a session or an account moves the
//! generation on, and an entry counts only if it was read in the current
//! generation (the generation is taken *before* the read, so a read that
//! raced a write is never trusted). Other writes (a failed login's counter,
//! a used token, an audit line, a session's last-seen time) cannot change a
//! cached answer and leave it be — so thousands of polled sessions noting
//! their activity do not void each other's entries every few milliseconds.
//! On PostgreSQL, other instances' writes arrive as notifications that move
//! the generation on too; while they cannot arrive (the listener is down),
//! nothing cached is trusted. Writes by processes that do not notify are
//! invisible to the generation, so an entry also expires some time after
//! its read: on SQLite the CLI is such a process, so a session it ends
//! stops working within [`UNNOTIFIED_FRESH_FOR`]; on PostgreSQL every
//! baigate process notifies (the CLI too), and only a change made by hand
//! in SQL waits for [`NOTIFIED_FRESH_FOR`] — long enough that thousands of
//! polled sessions are not read again every second (scripts/bench.sh
//! measured a third of the one-session rate at 5,000 sessions with 1 s).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::clock::UnixTime;
use crate::model::{Session, User, UserStatus};

/// How long an entry is trusted when another process may write without
/// notifying (SQLite: the CLI).
pub const UNNOTIFIED_FRESH_FOR: Duration = Duration::from_secs(1);

/// How long an entry is trusted when every baigate process notifies its
/// changes (PostgreSQL): only hand-made changes are unheard.
pub const NOTIFIED_FRESH_FOR: Duration = Duration::from_secs(10);

/// Entries kept at most; past it, stale entries go, then all of them. Room
/// for every session of a large team polled round-robin.
const CAPACITY: usize = 16_384;

#[derive(Debug)]
struct Entry {
    generation: u64,
    read_at: Instant,
    session: Session,
    user: User,
}

#[derive(Debug)]
pub struct SessionCache {
    generation: AtomicU64,
    /// Whether every change that could void an entry reaches this cache.
    trusted: AtomicBool,
    /// How often it started being trusted (a listener (re)connected).
    trust_started: AtomicU64,
    entries: Mutex<HashMap<[u8; 32], Entry>>,
    /// How long after its read an entry may be used.
    fresh_for: Duration,
    /// The payload of the last notification heard (tests wait for a marker
    /// of their own: notifications arrive in commit order).
    #[cfg(test)]
    last_notice: Mutex<String>,
}

/// SQLite's: trusted from the start (every change passes through this process).
impl Default for SessionCache {
    fn default() -> Self {
        Self {
            generation: AtomicU64::new(0),
            trusted: AtomicBool::new(true),
            trust_started: AtomicU64::new(0),
            entries: Mutex::default(),
            fresh_for: UNNOTIFIED_FRESH_FOR,
            #[cfg(test)]
            last_notice: Mutex::default(),
        }
    }
}

impl SessionCache {
    /// A cache trusted only once [`SessionCache::set_trusted`] says so (on
    /// PostgreSQL: once this instance hears the others' changes), whose
    /// entries then last until a change is heard or [`NOTIFIED_FRESH_FOR`].
    pub fn until_listening() -> Self {
        Self {
            trusted: AtomicBool::new(false),
            fresh_for: NOTIFIED_FRESH_FOR,
            ..Self::default()
        }
    }

    /// Whether entries are used at all.
    pub fn trusted(&self) -> bool {
        self.trusted.load(Ordering::Acquire)
    }

    /// Starts or stops trusting entries. Starting voids every entry read
    /// before: a change may have gone unheard meanwhile.
    pub fn set_trusted(&self, trusted: bool) {
        if trusted {
            self.invalidate();
            self.trust_started.fetch_add(1, Ordering::AcqRel);
        }
        self.trusted.store(trusted, Ordering::Release);
    }

    /// How often trust started (tests wait for a reconnection with it).
    #[cfg(test)]
    pub fn times_trusted(&self) -> u64 {
        self.trust_started.load(Ordering::Acquire)
    }

    /// The generation to tag a read with; take it before reading.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// A notification heard from the database (another instance's write,
    /// or this one's own heard back): all entries read before it are void.
    pub fn notified(&self, _payload: &str) {
        self.invalidate();
        #[cfg(test)]
        if let Ok(mut last) = self.last_notice.lock() {
            _payload.clone_into(&mut last);
        }
    }

    /// The payload of the last notification heard.
    #[cfg(test)]
    pub fn last_notice(&self) -> String {
        self.last_notice
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    /// Called after every write: all entries read before it are void.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The cached live session for this token hash, if it is still current
    /// and still live at `now`.
    pub fn get(&self, token_hash: &[u8; 32], now: UnixTime) -> Option<(Session, User)> {
        if !self.trusted() {
            return None;
        }
        let generation = self.generation();
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(token_hash)?;
        let current = entry.generation == generation && entry.read_at.elapsed() < self.fresh_for;
        let live = entry.session.expires_at > now
            && entry.session.absolute_expires_at > now
            && entry.user.status == UserStatus::Active;
        (current && live).then(|| (entry.session.clone(), entry.user.clone()))
    }

    /// Notes a session's activity in its entry (the write that stored it
    /// leaves the cache valid), so the entry does not ask for it again.
    pub fn touched(&self, token_hash: &[u8; 32], now: UnixTime) {
        if let Ok(mut entries) = self.entries.lock()
            && let Some(entry) = entries.get_mut(token_hash)
        {
            entry.session.last_seen_at = entry.session.last_seen_at.max(now);
        }
    }

    /// Keeps what a read found (`generation` taken before that read).
    pub fn put(&self, token_hash: [u8; 32], generation: u64, session: Session, user: User) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= CAPACITY {
            let current = self.generation();
            entries.retain(|_, e| e.generation == current && e.read_at.elapsed() < self.fresh_for);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    const TOKEN: [u8; 32] = [7; 32];

    fn put_one(cache: &SessionCache) {
        let session = Session {
            id: 1,
            public_id: "s1".into(),
            user_id: 1,
            created_at: 100,
            last_seen_at: 100,
            expires_at: 10_000,
            absolute_expires_at: 10_000,
        };
        let user = User {
            id: 1,
            uuid: "u1".into(),
            email: "a@example.com".into(),
            username: "a".into(),
            password_hash: String::new(),
            role: Role::User,
            status: UserStatus::Active,
            access_key: "AKIA".into(),
            created_at: 100,
            password_changed_at: 100,
            last_login_at: None,
        };
        cache.put(TOKEN, cache.generation(), session, user);
    }

    /// The time after which an entry is read again, per engine.
    async fn lasts(cache: SessionCache) -> Duration {
        put_one(&cache);
        let read = Instant::now();
        while cache.get(&TOKEN, 200).is_some() {
            tokio::time::advance(Duration::from_millis(250)).await;
        }
        read.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn entries_last_longer_where_every_writer_notifies() {
        // SQLite: the CLI's writes are unheard, so a second at most.
        assert_eq!(lasts(SessionCache::default()).await, UNNOTIFIED_FRESH_FOR);
        // PostgreSQL: a change is heard at once, so only hand-made SQL waits.
        let notified = SessionCache::until_listening();
        notified.set_trusted(true);
        assert_eq!(lasts(notified).await, NOTIFIED_FRESH_FOR);
    }

    #[tokio::test(start_paused = true)]
    async fn a_notification_voids_every_entry_at_once() {
        let cache = SessionCache::until_listening();
        assert!(
            cache.get(&TOKEN, 200).is_none(),
            "not trusted before listening"
        );
        cache.set_trusted(true);
        put_one(&cache);
        assert!(cache.get(&TOKEN, 200).is_some());
        cache.notified("");
        assert!(cache.get(&TOKEN, 200).is_none());
    }
}
