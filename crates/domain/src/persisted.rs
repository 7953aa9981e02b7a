//! Operation texts kept by the SHA-256 of their text, so that clients send
//! a hash instead of the text (automatic persisted queries). What the text
//! means is the caller's business; here it is only hashed, stored, bounded,
//! and found again.

use waypost_db::DbPool;
use waypost_db::queries::persisted;

use crate::DomainResult;
use crate::clock::stored_instant;

/// Texts kept on the database at most: past this, the oldest go first,
/// so a client registering texts without end cannot grow the table.
pub const STORED_TEXTS: i64 = 10_000;

/// The name of an operation text, as Apollo Client, urql and persisted-query
/// manifests compute it: the SHA-256 of its exact text (no normalising, so
/// a trailing newline makes another document), in lowercase hex as
/// `sha256sum` prints it.
pub fn document_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write;
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

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

#[cfg(test)]
mod tests {
    use super::document_hash;

    #[test]
    fn hashes_are_lowercase_hex_sha256_of_the_exact_text() {
        // As `sha256sum` prints it.
        assert_eq!(
            document_hash("{ __typename }"),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
        assert_ne!(
            document_hash("{ __typename }\n"),
            document_hash("{ __typename }")
        );
    }
}
