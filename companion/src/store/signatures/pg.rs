//! Seen signatures on PostgreSQL: one upsert, whose condition PostgreSQL
//! re-checks on the row a racing request just wrote, so of two instances
//! given one signature at once exactly one records it first.

use crate::clock::UnixTime;
use crate::store::Result;
use crate::store::postgres::Pg;

pub(super) async fn first_signature_use(
    pg: &Pg,
    digest: [u8; 32],
    now: UnixTime,
    until: UnixTime,
) -> Result<bool> {
    let conn = pg.conn().await?;
    let statement = conn
        .prepare_cached(
            "INSERT INTO signature_replays AS r (digest, expires_at) VALUES ($1, $2) \
             ON CONFLICT (digest) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE r.expires_at <= $3",
        )
        .await?;
    Ok(conn
        .execute(&statement, &[&&digest[..], &until, &now])
        .await?
        == 1)
}

pub(super) async fn purge_signatures(pg: &Pg, now: UnixTime) -> Result<usize> {
    let conn = pg.conn().await?;
    let purged = conn
        .execute(
            "DELETE FROM signature_replays WHERE expires_at <= $1",
            &[&now],
        )
        .await?;
    Ok(usize::try_from(purged).unwrap_or(usize::MAX))
}
