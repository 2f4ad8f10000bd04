//! `baigate db copy`: every row of a SQLite store into an empty PostgreSQL
//! one, in one transaction (all or nothing), ids kept. Columns are read by
//! name and converted to the PostgreSQL column's type (the two schemas
//! match: see the parity test).

use rusqlite::types::Value;
use tokio_postgres::types::ToSql;

use super::{Engine, Result, Store, StoreError};

/// The tables, parents before children (foreign keys), and whether their
/// `id` is an identity whose sequence must move past the copied ids.
const TABLES: [(&str, bool); 16] = [
    ("invitations", true),
    ("users", true),
    ("sessions", true),
    ("audit_events", true),
    ("mailed_tokens", true),
    ("login_guards", false),
    ("totp_credentials", false),
    ("recovery_codes", true),
    ("totp_registrations", false),
    ("sso_flows", false),
    ("sso_tokens", false),
    ("sso_identities", false),
    ("signature_replays", false),
    ("settings", false),
    ("saml_flows", false),
    ("saml_assertions", false),
];

/// Rows copied, per table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<(&'static str, u64)>,
}

/// One value, as PostgreSQL's column wants it.
#[derive(Debug)]
enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
    Bool(Option<bool>),
}

impl Cell {
    fn param(&self) -> &(dyn ToSql + Sync) {
        match self {
            Self::Int(v) => v,
            Self::Text(v) => v,
            Self::Bytes(v) => v,
            Self::Bool(v) => v,
        }
    }
}

fn convert(table: &str, column: &str, pg_type: &str, value: Value) -> Result<Cell> {
    let wrong = |value: &Value| {
        StoreError::Corrupt(format!(
            "{table}.{column} holds {value:?}, which is not a PostgreSQL {pg_type}"
        ))
    };
    Ok(match (pg_type, value) {
        ("bigint", Value::Null) => Cell::Int(None),
        ("bigint", Value::Integer(i)) => Cell::Int(Some(i)),
        ("text", Value::Null) => Cell::Text(None),
        ("text", Value::Text(t)) => Cell::Text(Some(t)),
        ("bytea", Value::Null) => Cell::Bytes(None),
        ("bytea", Value::Blob(b)) => Cell::Bytes(Some(b)),
        ("boolean", Value::Null) => Cell::Bool(None),
        ("boolean", Value::Integer(i @ (0 | 1))) => Cell::Bool(Some(i == 1)),
        (_, other) => return Err(wrong(&other)),
    })
}

impl Store {
    /// Copies every row of this SQLite store into `target`, a PostgreSQL
    /// store with no data yet.
    pub async fn copy_into(&self, target: &Store) -> Result<CopyReport> {
        let (Engine::Sqlite(source), Engine::Postgres(pg)) = (&self.engine, &target.engine) else {
            return Err(StoreError::Setup(
                "db copy moves a SQLite database into PostgreSQL".into(),
            ));
        };
        let mut conn = pg.conn().await?;
        let tx = conn.transaction().await?;
        for (table, _) in TABLES {
            let rows: i64 = tx
                .query_one(&format!("SELECT count(*) FROM {table}"), &[])
                .await?
                .try_get(0)?;
            if rows > 0 {
                return Err(StoreError::Setup(format!(
                    "the target database is not empty ({table} has {rows} rows): \
                     copy into a new database"
                )));
            }
        }
        let mut report = CopyReport::default();
        for (table, identity) in TABLES {
            let columns: Vec<(String, String)> = tx
                .query(
                    "SELECT column_name::TEXT, data_type::TEXT FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 \
                     ORDER BY ordinal_position",
                    &[&table],
                )
                .await?
                .iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .collect::<Result<_>>()?;
            let names: Vec<String> = columns.iter().map(|(name, _)| name.clone()).collect();
            let select = format!("SELECT {} FROM {table}", names.join(", "));
            let rows: Vec<Vec<Value>> = source
                .read(move |conn| {
                    let mut stmt = conn.prepare(&select)?;
                    let width = stmt.column_count();
                    let rows = stmt
                        .query_map([], |row| {
                            (0..width).map(|i| row.get::<_, Value>(i)).collect()
                        })?
                        .collect::<rusqlite::Result<Vec<Vec<Value>>>>()?;
                    Ok(rows)
                })
                .await?;
            let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
            let insert = tx
                .prepare(&format!(
                    "INSERT INTO {table} ({}) VALUES ({})",
                    names.join(", "),
                    placeholders.join(", ")
                ))
                .await?;
            let count = rows.len();
            for row in rows {
                let cells = row
                    .into_iter()
                    .zip(&columns)
                    .map(|(value, (name, pg_type))| convert(table, name, pg_type, value))
                    .collect::<Result<Vec<Cell>>>()?;
                let params: Vec<&(dyn ToSql + Sync)> = cells.iter().map(Cell::param).collect();
                tx.execute(&insert, &params).await?;
            }
            if identity {
                tx.execute(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                         coalesce(max(id), 0) + 1, false) FROM {table}"
                    ),
                    &[],
                )
                .await?;
            }
            report
                .tables
                .push((table, u64::try_from(count).unwrap_or(u64::MAX)));
        }
        tx.commit().await?;
        Ok(report)
    }
}
