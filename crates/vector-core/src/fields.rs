//! Form fields of the notes page and of the features `scripts/new-feature` writes: the server's checks, one
//! per field type, each returning the value to store or a 400 that names the field; optional fields; and how a
//! page shows and takes dates and times.
//!
//! Dates and times travel as UTC in RFC 3339 (`2026-12-01T09:30:00Z`). The visitor sees and types them in their
//! own time zone: a `datetime-local` input holds local time (`2026-12-01T10:30`), which the browser turns into UTC
//! before sending (`datetime_from_input`). Calendar dates (`2026-12-01`) have no zone.

/// What a page shows for an optional field left empty.
pub const EMPTY: &str = "—";

/// A stored date and time as the server shows it, in UTC, to the minute: `2026-12-01 09:30 UTC`. The browser
/// shows local time instead (`datetime_local`).
pub fn datetime_for_display(rfc3339: &str) -> String {
    match rfc3339.get(..16) {
        Some(minutes) => format!("{} UTC", minutes.replacen('T', " ", 1)),
        None => rfc3339.to_owned(),
    }
}

/// A stored date and time in the visitor's time zone, `2026-12-01 10:30`: in the browser, by its clock; on the
/// server, which does not know the zone, in UTC as `datetime_for_display` shows it.
pub fn datetime_local(rfc3339: &str) -> String {
    #[cfg(feature = "hydrate")]
    if let Some(local) = browser::local_parts(rfc3339) {
        return local.replacen('T', " ", 1);
    }
    datetime_for_display(rfc3339)
}

/// The `datetime-local` input's value for a stored date and time: the visitor's local time, to the minute (in the
/// browser; the UTC time on the server, which never fills the form).
pub fn datetime_for_input(rfc3339: &str) -> String {
    #[cfg(feature = "hydrate")]
    if let Some(local) = browser::local_parts(rfc3339) {
        return local;
    }
    rfc3339.trim_end_matches('Z').chars().take(16).collect()
}

/// What a `datetime-local` input holds (local time, `2026-12-01T10:30`) as the server takes it: UTC, RFC 3339, by
/// the browser's time zone. Anything that is not such a time, an empty input included, is passed on as it is, for
/// the server's check to refuse with a message.
pub fn datetime_from_input(local: &str) -> String {
    #[cfg(feature = "hydrate")]
    if let Some(utc) = browser::utc_from_local(local) {
        return utc;
    }
    local.to_owned()
}

#[cfg(feature = "hydrate")]
mod browser {
    use js_sys::Date;
    use wasm_bindgen::JsValue;

    /// `YYYY-MM-DDTHH:MM` in local time, for an RFC 3339 time the browser can read.
    pub fn local_parts(rfc3339: &str) -> Option<String> {
        let date = Date::new(&JsValue::from_str(rfc3339));
        let valid = !date.get_time().is_nan();
        valid.then(|| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}",
                date.get_full_year(),
                date.get_month() + 1,
                date.get_date(),
                date.get_hours(),
                date.get_minutes()
            )
        })
    }

    /// The UTC time (`…Z`) of a local `YYYY-MM-DDTHH:MM[:SS]`.
    pub fn utc_from_local(local: &str) -> Option<String> {
        let local = local.trim();
        // Without a zone, the browser reads a date-time as local time.
        if !(local.len() == 16 || local.len() == 19) || !local.contains('T') {
            return None;
        }
        let date = Date::new(&JsValue::from_str(local));
        if date.get_time().is_nan() {
            return None;
        }
        date.to_iso_string().as_string()
    }
}

pub use checks::*;
/// The types the checks return, for a page's own types: no direct dependency on `time` or `uuid` needed.
pub use time::{Date, OffsetDateTime};
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

    /// A calendar date, `2026-12-01` (as a `date` input sends it).
    pub fn date(label: &str, value: &str) -> Result<time::Date, AppError> {
        let format = format_description::parse_borrowed::<1>("[year]-[month]-[day]")
            .map_err(|_| AppError::internal())?;
        time::Date::parse(value.trim(), &format)
            .ok()
            .filter(|date| (1..=9999).contains(&date.year()))
            .ok_or_else(|| {
                AppError::bad_request(format!("{label} must be a date, such as 2026-12-01."))
            })
    }

    /// How a stored calendar date crosses the wire: `2026-12-01`.
    pub fn date_to_string(date: time::Date) -> String {
        format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        )
    }

    /// An optional field: `None` when left empty (blank), otherwise `check`ed.
    pub fn optional<T>(
        value: &str,
        check: impl FnOnce(&str) -> Result<T, AppError>,
    ) -> Result<Option<T>, AppError> {
        if value.trim().is_empty() {
            Ok(None)
        } else {
            check(value).map(Some)
        }
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
    fn dates_and_times_show_in_utc_on_the_server() {
        assert_eq!(
            datetime_for_input("2026-12-01T09:30:00Z"),
            "2026-12-01T09:30"
        );
        assert_eq!(
            datetime_local("2026-12-01T09:30:00Z"),
            "2026-12-01 09:30 UTC"
        );
        assert_eq!(datetime_from_input("2026-12-01T09:30"), "2026-12-01T09:30");
        assert_eq!(
            datetime_for_display("2026-12-01T09:30:00Z"),
            "2026-12-01 09:30 UTC"
        );
        assert_eq!(
            datetime_for_display("2026-12-01T09:30:15.123456Z"),
            "2026-12-01 09:30 UTC"
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

        let day = date("Due on", " 2026-12-01 ").unwrap();
        assert_eq!(date_to_string(day), "2026-12-01");
        for bad in [
            "",
            "2026-13-01",
            "2026-12-01T09:30",
            "tomorrow",
            "12/01/2026",
        ] {
            assert_eq!(
                date("Due on", bad).unwrap_err().detail,
                "Due on must be a date, such as 2026-12-01.",
                "{bad}"
            );
        }

        assert_eq!(optional("  ", |v| text("Title", v, 10)).unwrap(), None);
        assert_eq!(
            optional(" a ", |v| text("Title", v, 10)).unwrap(),
            Some("a".to_owned())
        );
        assert_eq!(
            optional("a\0", |v| text("Title", v, 10))
                .unwrap_err()
                .status,
            400
        );
        for bad in ["", "tomorrow", "2026-13-01T09:30", "2026-12-01"] {
            assert_eq!(
                datetime("Due", bad).unwrap_err().detail,
                "Due must be a date and time, such as 2026-12-01T09:30.",
                "{bad}"
            );
        }
    }
}
