//! Row shapes more than one table's queries read: an account joined to a
//! session or a mailed token is read the same way everywhere.

pub(super) mod pg;

use rusqlite::Row;

use crate::model::User;

pub(crate) const USER_COLUMNS: &str = "id, uuid, email, username, password_hash, role, status, access_key, \
     created_at, password_changed_at, last_login_at";

/// Reads a user whose columns ([`USER_COLUMNS`] order) start at `at`.
pub(super) fn user_from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(at)?,
        uuid: row.get(at + 1)?,
        email: row.get(at + 2)?,
        username: row.get(at + 3)?,
        password_hash: row.get(at + 4)?,
        role: parse_column(row, at + 5)?,
        status: parse_column(row, at + 6)?,
        access_key: row.get(at + 7)?,
        created_at: row.get(at + 8)?,
        password_changed_at: row.get(at + 9)?,
        last_login_at: row.get(at + 10)?,
    })
}

fn parse_column<T>(row: &Row<'_>, index: usize) -> rusqlite::Result<T>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = row.get(index)?;
    text.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}
