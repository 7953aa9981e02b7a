//! Operation texts kept by the SHA-256 of their text, so that clients send
//! a hash instead of the text (automatic persisted queries). What the text
//! means is the caller's business; here it is only stored, bounded, and
//! found again.

use waypost_db::DbPool;
use waypost_db::queries::persisted;

use crate::DomainResult;
use crate::clock::stored_instant;

/// Texts kept on the database at most: past this, the oldest go first,
/// so a client registering texts without end cannot grow the table.
pub const STORED_TEXTS: i64 = 10_000;

/// The text registered under `hash`, on any instance.
pub async fn text(pool: &DbPool, hash: &str) -> DomainResult<Option<String>> {
    Ok(persisted::text(&mut pool.get().await?, hash).await?)
}

/// Registers `text` under `hash` for every instance.
pub async fn register(
    pool: &DbPool,
    hash: &str,
    text: &str,
    now: chrono::NaiveDateTime,
) -> DomainResult<()> {
    let mut conn = pool.get_primary().await?;
    persisted::store(&mut conn, hash, text, stored_instant(now), STORED_TEXTS).await?;
    Ok(())
}
