//! What keeping the similar-posts index current costs when one post
//! changes: `similar::refresh` (what every edit, publish and unpublish
//! runs) timed for posts spread over the archive, so that archives of
//! different sizes can be compared (see BENCHMARKS.md).

use std::time::{Duration, Instant};

use anyhow::Context;
use waypost_db::queries::post as post_queries;
use waypost_db::{DbConfig, DbPool, PostId};

#[derive(Debug, clap::Args)]
pub struct IndexUpdateArgs {
    /// The database, seeded by a benchmark run (`--seed-only`).
    #[arg(
        long,
        default_value = "postgres://postgres@127.0.0.1:5432/waypost_bench"
    )]
    pub database_url: String,
    /// Posts refreshed, spread evenly over the archive by id.
    #[arg(long, default_value_t = 50)]
    pub posts: usize,
}

pub async fn run(args: &IndexUpdateArgs) -> anyhow::Result<()> {
    let pool = DbPool::connect(&DbConfig::new(args.database_url.clone())).await?;
    let total = post_queries::count_all(&mut pool.get().await?).await?;
    anyhow::ensure!(total > 0, "the database has no posts; seed it first");
    let ids: Vec<PostId> = (0..args.posts)
        .map(|i| PostId(1 + (i as i64 * total) / args.posts as i64))
        .collect();
    // Once over, so that caches hold what a running server's would.
    for id in ids.iter().take(3) {
        waypost_domain::similar::refresh(&pool, *id)
            .await
            .with_context(|| format!("refreshing post {id}"))?;
    }
    let mut times: Vec<Duration> = Vec::with_capacity(ids.len());
    for id in &ids {
        let started = Instant::now();
        waypost_domain::similar::refresh(&pool, *id)
            .await
            .with_context(|| format!("refreshing post {id}"))?;
        times.push(started.elapsed());
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| {total} | {} | {:.1} | {:.1} | {:.1} |",
        times.len(),
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(1.0)),
    );
    Ok(())
}
