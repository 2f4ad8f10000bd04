//! Work that must not hold up an answer (mail whose sending time would tell
//! whether an account exists), tracked so tests and shutdown can wait for it.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;

#[derive(Debug, Clone, Default)]
pub struct Background {
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Background {
    /// Runs `work` on its own task.
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(work);
        if let Ok(mut tasks) = self.tasks.lock() {
            tasks.retain(|task| !task.is_finished());
            tasks.push(handle);
        }
    }

    /// Waits until every task spawned so far has finished.
    pub async fn settle(&self) {
        loop {
            let pending: Vec<JoinHandle<()>> = match self.tasks.lock() {
                Ok(mut tasks) => tasks.drain(..).collect(),
                Err(_) => return,
            };
            if pending.is_empty() {
                return;
            }
            for task in pending {
                let _ = task.await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn settle_waits_for_everything_spawned() {
        let background = Background::default();
        let done = Arc::new(AtomicU32::new(0));
        for _ in 0..5 {
            let done = done.clone();
            background.spawn(async move {
                tokio::task::yield_now().await;
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        background.settle().await;
        assert_eq!(done.load(Ordering::SeqCst), 5);
    }
}
