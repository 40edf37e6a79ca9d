//! Lists in pages: at most `PAGE_SIZE` items at a time, newest first, and an opaque cursor that says where the
//! next page starts. A page is fetched with `LIMIT size + 1` after the cursor's position; the extra row, if
//! any, only says that there is more.
//!
//! ```ignore
//! let cursor = cursor.as_deref().map(Cursor::parse).transpose()?;
//! let rows: Vec<(Uuid, String, OffsetDateTime)> = sqlx::query_as(
//!     "SELECT id, body, created_at FROM notes WHERE user_id = $1::uuid
//!        AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
//!      ORDER BY created_at DESC, id DESC LIMIT $4",
//! )
//! .bind(&user.id)
//! .bind(cursor.map(|c| c.at))
//! .bind(cursor.map(|c| c.id))
//! .bind(PAGE_SIZE + 1)
//! .fetch_all(&db)
//! .await?;
//! Ok(Page::from_rows(rows, PAGE_SIZE, |(id, _, at)| Cursor::new(*at, *id)).map(Note::from))
//! ```

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::AppError;

/// How many items a page holds unless a list says otherwise.
pub const PAGE_SIZE: i64 = 100;

/// One page of a list, and the cursor of the next one (`None` on the last page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// Where the next page starts, for the list's `cursor` argument; `None` when this is the last page.
    pub next: Option<String>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            next: None,
        }
    }
}

impl<T> Page<T> {
    /// The page from rows fetched with `LIMIT size + 1`: at most `size` of them, and when there were more, the
    /// cursor of the last one kept.
    pub fn from_rows(mut rows: Vec<T>, size: i64, cursor_of: impl Fn(&T) -> Cursor) -> Self {
        let size = usize::try_from(size).unwrap_or(0);
        let next = (rows.len() > size).then(|| {
            rows.truncate(size);
            rows.last().map(|row| cursor_of(row).encode())
        });
        Self {
            items: rows,
            next: next.flatten(),
        }
    }

    /// The same page with each item turned into another type.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

/// A position in a list ordered by a time and then an id, newest first: the last item of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The item's time (to the microsecond, as Postgres keeps it).
    pub at: OffsetDateTime,
    /// The item's id, which orders items of the same time.
    pub id: Uuid,
}

impl Cursor {
    /// The position of the item with this time and id.
    pub fn new(at: OffsetDateTime, id: Uuid) -> Self {
        Self { at, id }
    }

    /// The cursor as a list's `next` gives it: `<microseconds since 1970>.<id>`.
    pub fn encode(&self) -> String {
        let micros = self.at.unix_timestamp_nanos() / 1_000;
        format!("{micros}.{}", self.id.simple())
    }

    /// A cursor a client sent back; 400 for anything `encode` did not make.
    pub fn parse(text: &str) -> Result<Self, AppError> {
        let invalid = || AppError::bad_request("Invalid cursor.");
        let (micros, id) = text.split_once('.').ok_or_else(invalid)?;
        let micros: i64 = micros.parse().map_err(|_| invalid())?;
        let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
            .map_err(|_| invalid())?;
        let id = Uuid::try_parse(id).map_err(|_| invalid())?;
        Ok(Self { at, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_the_round_trip_and_garbage_is_400() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_764_579_000_123_456_000).unwrap();
        let cursor = Cursor::new(
            at,
            Uuid::from_u128(0x67e5_5044_10b1_426f_9247_bb68_0e5f_e0c8),
        );
        assert_eq!(Cursor::parse(&cursor.encode()).unwrap(), cursor);
        for bad in [
            "",
            "x",
            "1.2",
            "1764579000123456",
            "abc.67e5504410b1426f9247bb680e5fe0c8",
        ] {
            assert_eq!(Cursor::parse(bad).unwrap_err().status, 400, "{bad:?}");
        }
    }

    #[test]
    fn a_page_keeps_its_size_and_points_past_its_last_item() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let ids: Vec<Uuid> = (1..=3).map(Uuid::from_u128).collect();
        let full = Page::from_rows(ids.clone(), 2, |id| Cursor::new(at, *id));
        assert_eq!(full.items, ids[..2]);
        assert_eq!(full.next, Some(Cursor::new(at, ids[1]).encode()));
        let last = Page::from_rows(ids[..2].to_vec(), 2, |id| Cursor::new(at, *id));
        assert_eq!((last.items.len(), last.next), (2, None));
    }
}
