//! The same row shapes read from PostgreSQL.

use tokio_postgres::Row;

use crate::model::User;
use crate::store::{Result, StoreError};

/// Reads a user whose columns ([`super::USER_COLUMNS`] order) start at `at`.
pub(crate) fn user_from_row(row: &Row, at: usize) -> Result<User> {
    Ok(User {
        id: row.try_get(at)?,
        uuid: row.try_get(at + 1)?,
        email: row.try_get(at + 2)?,
        username: row.try_get(at + 3)?,
        password_hash: row.try_get(at + 4)?,
        role: parse_column(row, at + 5)?,
        status: parse_column(row, at + 6)?,
        access_key: row.try_get(at + 7)?,
        created_at: row.try_get(at + 8)?,
        password_changed_at: row.try_get(at + 9)?,
        last_login_at: row.try_get(at + 10)?,
    })
}

fn parse_column<T>(row: &Row, index: usize) -> Result<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let text: String = row.try_get(index)?;
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("column {index}: {e}")))
}
