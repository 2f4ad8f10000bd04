//! The companion host's live usage (CPU, memory, the data directory's disk),
//! sampled when asked, for the popup's start panel.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use baigate_shared::summary::HostUsage;
use sysinfo::{Disks, System};

/// CPU usage is a difference between two readings; this is the shortest
/// gap that gives a meaningful one.
const FIRST_GAP: std::time::Duration = sysinfo::MINIMUM_CPU_UPDATE_INTERVAL;

#[derive(Debug)]
struct Sampler {
    system: System,
    /// When CPU usage was last read (so the next reading covers the gap).
    last_cpu: Option<Instant>,
}

#[derive(Debug, Clone)]
pub struct HostMonitor {
    sampler: Arc<Mutex<Option<Sampler>>>,
    data_dir: PathBuf,
}

impl HostMonitor {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            sampler: Arc::new(Mutex::new(None)),
            data_dir: data_dir
                .canonicalize()
                .unwrap_or_else(|_| data_dir.to_owned()),
        }
    }

    /// Reads the usage now (off the async threads). CPU is the average since
    /// the previous call; the first call waits a fifth of a second for it.
    pub async fn usage(&self) -> Option<HostUsage> {
        let sampler = self.sampler.clone();
        let data_dir = self.data_dir.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = sampler.lock().ok()?;
            if guard.is_none() {
                *guard = Some(Sampler {
                    system: System::new().ok()?,
                    last_cpu: None,
                });
            }
            let sampler = guard.as_mut()?;
            sampler.system.refresh_cpu_usage();
            if sampler.last_cpu.is_none() {
                std::thread::sleep(FIRST_GAP);
                sampler.system.refresh_cpu_usage();
            }
            sampler.last_cpu = Some(Instant::now());
            sampler.system.refresh_memory();
            let (disk_used, disk_total) = disk_of(&data_dir).unwrap_or((0, 0));
            Some(HostUsage {
                cpu_percent: sampler.system.global_cpu_usage(),
                cpu_count: u32::try_from(sampler.system.cpus().len()).unwrap_or(u32::MAX),
                memory_used_bytes: sampler.system.used_memory(),
                memory_total_bytes: sampler.system.total_memory(),
                disk_used_bytes: disk_used,
                disk_total_bytes: disk_total,
            })
        })
        .await
        .ok()
        .flatten()
    }
}

/// Used and total bytes of the filesystem holding `path`.
fn disk_of(path: &Path) -> Option<(u64, u64)> {
    let disks = Disks::new_with_refreshed_list().ok()?;
    disks
        .iter()
        .filter(|disk| path.starts_with(disk.mount_point()))
        .max_by_key(|disk| disk.mount_point().as_os_str().len())
        .map(|disk| {
            let total = disk.total_space();
            (total.saturating_sub(disk.available_space()), total)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_real_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let monitor = HostMonitor::new(dir.path());
        let usage = monitor.usage().await.unwrap();
        assert!(usage.cpu_count >= 1);
        assert!((0.0..=100.0 * usage.cpu_count as f32).contains(&usage.cpu_percent));
        assert!(usage.memory_total_bytes > usage.memory_used_bytes && usage.memory_used_bytes > 0);
        assert!(usage.disk_total_bytes >= usage.disk_used_bytes && usage.disk_total_bytes > 0);
        // Later calls do not wait.
        let started = Instant::now();
        monitor.usage().await.unwrap();
        assert!(started.elapsed() < FIRST_GAP);
    }
}
