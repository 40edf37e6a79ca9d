//! Form fields of the notes page and of the features `scripts/new-feature` writes: the server's checks, one
//! per field type, each returning the value to store or a 400 that names the field; and how a page shows a
//! date and time.
//!
//! Dates and times travel as UTC in RFC 3339 (`2026-12-01T09:30:00Z`); a form's `datetime-local` input sends
//! them without a zone (`2026-12-01T09:30`), and the page labels them "(UTC)".

/// The `datetime-local` input's value for a stored date and time: the same instant without its zone.
pub fn datetime_for_input(rfc3339: &str) -> String {
    rfc3339.trim_end_matches('Z').to_owned()
}

/// A stored date and time as a page shows it: `2026-12-01 09:30 UTC`.
pub fn datetime_for_display(rfc3339: &str) -> String {
    let local = datetime_for_input(rfc3339).replacen('T', " ", 1);
    let minutes = local.strip_suffix(":00").unwrap_or(&local);
    format!("{minutes} UTC")
}

pub use checks::*;
/// The types the checks return, for a page's own types: no direct dependency on `time` or `uuid` needed.
pub use time::OffsetDateTime;
pub use uuid::Uuid;

// Compiled for the browser too, so a page's own helpers can use them; the browser bundle keeps only what it calls.
mod checks {
    use time::format_description::well_known::Rfc3339;
    use time::{OffsetDateTime, PrimitiveDateTime, format_description};

    use crate::error::AppError;

    /// A line of text: trimmed, not empty, at most `max` characters.
    pub fn text(label: &str, value: &str, max: usize) -> Result<String, AppError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(AppError::bad_request(format!("{label} cannot be empty.")));
        }
        if value.chars().count() > max {
            return Err(AppError::bad_request(format!(
                "{label} can be at most {max} characters."
            )));
        }
        // Postgres cannot store U+0000 in text: refuse it here rather than fail in the database.
        if value.contains('\0') {
            return Err(AppError::bad_request(format!(
                "{label} cannot hold a NUL character."
            )));
        }
        Ok(value.to_owned())
    }

    /// An http or https address: a page links to it, so `javascript:` and the like never get stored.
    pub fn url(label: &str, value: &str, max: usize) -> Result<String, AppError> {
        let value = text(label, value, max)?;
        match url::Url::parse(&value) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => {
                Ok(value)
            }
            _ => Err(AppError::bad_request(format!(
                "{label} must be an http or https address."
            ))),
        }
    }

    /// A row's id as a page sends it back: a UUID, or 400 "Invalid {what} id.".
    pub fn id(what: &str, value: &str) -> Result<uuid::Uuid, AppError> {
        value
            .trim()
            .parse()
            .map_err(|_| AppError::bad_request(format!("Invalid {what} id.")))
    }

    /// A whole number that fits Postgres' `bigint`.
    pub fn int(label: &str, value: &str) -> Result<i64, AppError> {
        value
            .trim()
            .parse()
            .map_err(|_| AppError::bad_request(format!("{label} must be a whole number.")))
    }

    /// A date and time: RFC 3339 with its offset, or a `datetime-local` value (`2026-12-01T09:30`, seconds
    /// optional) taken as UTC.
    pub fn datetime(label: &str, value: &str) -> Result<OffsetDateTime, AppError> {
        let value = value.trim();
        let refused = || {
            AppError::bad_request(format!(
                "{label} must be a date and time, such as 2026-12-01T09:30."
            ))
        };
        let at = match OffsetDateTime::parse(value, &Rfc3339) {
            Ok(at) => at,
            Err(_) => {
                let format = match value.len() {
                    16 => "[year]-[month]-[day]T[hour]:[minute]",
                    19 => "[year]-[month]-[day]T[hour]:[minute]:[second]",
                    _ => return Err(refused()),
                };
                let format = format_description::parse_borrowed::<1>(format)
                    .map_err(|_| AppError::internal())?;
                PrimitiveDateTime::parse(value, &format)
                    .map(PrimitiveDateTime::assume_utc)
                    .map_err(|_| refused())?
            }
        };
        // Stored and sent in UTC: a time valid where it was written may fall outside years 1 to 9999 there,
        // which the database's encoder cannot take.
        at.checked_to_offset(time::UtcOffset::UTC)
            .filter(|utc| (1..=9999).contains(&utc.year()))
            .ok_or_else(|| {
                AppError::bad_request(format!(
                    "{label} must be between the years 1 and 9999 (UTC)."
                ))
            })
    }

    /// How a stored date and time crosses the wire: UTC, RFC 3339.
    pub fn datetime_to_string(at: OffsetDateTime) -> String {
        at.to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_show_in_utc() {
        assert_eq!(
            datetime_for_input("2026-12-01T09:30:00Z"),
            "2026-12-01T09:30:00"
        );
        assert_eq!(
            datetime_for_display("2026-12-01T09:30:00Z"),
            "2026-12-01 09:30 UTC"
        );
        assert_eq!(
            datetime_for_display("2026-12-01T09:30:15Z"),
            "2026-12-01 09:30:15 UTC"
        );
    }

    #[test]
    fn each_check_names_the_field_and_keeps_what_is_valid() {
        assert_eq!(text("Title", "  a title ", 10).unwrap(), "a title");
        assert_eq!(
            text("Title", " ", 10).unwrap_err().detail,
            "Title cannot be empty."
        );
        assert!(
            text("Title", &"é".repeat(10), 10).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(
            text("Title", &"a".repeat(11), 10).unwrap_err().detail,
            "Title can be at most 10 characters."
        );
        assert_eq!(text("Title", "a\0b", 10).unwrap_err().status, 400);

        assert!(url("Link", "https://example.com/a?b#c", 100).is_ok());
        for bad in [
            "javascript:alert(1)",
            "example.com",
            "ftp://example.com",
            "http://",
        ] {
            assert_eq!(
                url("Link", bad, 100).unwrap_err().detail,
                "Link must be an http or https address.",
                "{bad}"
            );
        }

        assert!(id("note", "67e55044-10b1-426f-9247-bb680e5fe0c8").is_ok());
        for bad in ["", "1", "67e55044-10b1-426f-9247"] {
            assert_eq!(
                id("note", bad).unwrap_err().detail,
                "Invalid note id.",
                "{bad}"
            );
        }

        assert_eq!(int("Count", " -42 ").unwrap(), -42);
        for bad in ["", "4.5", "1e3", "9223372036854775808"] {
            assert_eq!(int("Count", bad).unwrap_err().status, 400, "{bad}");
        }

        let at = datetime("Due", "2026-12-01T09:30").unwrap();
        assert_eq!(datetime_to_string(at), "2026-12-01T09:30:00Z");
        let at = datetime("Due", "2026-12-01T10:30:00+01:00").unwrap();
        assert_eq!(datetime_to_string(at), "2026-12-01T09:30:00Z");
        assert!(datetime("Due", "2026-12-01T09:30:15").is_ok());
        // Past year 9999 in UTC (or before year 1), though valid where it was written: the database's encoder
        // cannot take it, so it is refused here.
        for out_of_range in ["9999-12-31T23:59:00-01:00", "0001-01-01T00:30:00+01:00"] {
            assert_eq!(
                datetime("Due", out_of_range).unwrap_err().detail,
                "Due must be between the years 1 and 9999 (UTC).",
                "{out_of_range}"
            );
        }
        assert!(datetime("Due", "9999-12-31T23:59:00+01:00").is_ok());
        for bad in ["", "tomorrow", "2026-13-01T09:30", "2026-12-01"] {
            assert_eq!(
                datetime("Due", bad).unwrap_err().detail,
                "Due must be a date and time, such as 2026-12-01T09:30.",
                "{bad}"
            );
        }
    }
}
