//! The machine's raw bcrypt verification rate: the physical limit of logins
//! per second. Used by `scripts/bench.sh`.
//!
//!     cargo run --release --example bcrypt_rate -- <cost> <seconds> <threads>
//!
//! Prints one JSON object.

use std::time::{Duration, Instant};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let cost: u32 = args.next().unwrap_or_else(|| "12".into()).parse()?;
    let seconds: u64 = args.next().unwrap_or_else(|| "10".into()).parse()?;
    let threads: usize = match args.next() {
        Some(n) => n.parse()?,
        None => std::thread::available_parallelism()?.get(),
    };
    let hash = bcrypt::hash("S3cret!pass", cost)?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let hash = hash.clone();
            std::thread::spawn(move || {
                let mut done = 0u64;
                while Instant::now() < deadline {
                    if bcrypt::verify("S3cret!pass", &hash).unwrap_or(false) {
                        done += 1;
                    }
                }
                done
            })
        })
        .collect();
    let mut total = 0u64;
    for worker in workers {
        total += worker
            .join()
            .map_err(|_| anyhow::anyhow!("a worker panicked"))?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "cost": cost,
            "threads": threads,
            "verifications": total,
            "seconds": elapsed,
            "per_second": total as f64 / elapsed,
        })
    );
    Ok(())
}
