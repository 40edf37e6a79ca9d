//! The operators' command: users, deactivation, sessions and recent activity, on the app's database.
//!
//! `scripts/admin <command>` in an app (`cargo run -p vector-auth --features ssr --bin admin -- <command>`). It
//! reads DATABASE_URL from the environment or `.env`, like the server, and applies this crate's migrations first.

use std::process::ExitCode;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use vector_auth::admin::{self, UserSummary};
use vector_core::env::{Env, database_url};

const USAGE: &str = "usage: admin <command>
  users                          list the users
  deactivate <email or id>       deactivate a user and end all their sessions
  reactivate <email or id>       let a deactivated user sign in again
  end-sessions <email or id>     end every session of a user
  events <email or id> [count]   the user's recent activity (20 unless count says otherwise)";

/// A failure, said in one line; usage errors exit with 2, the rest with 1.
enum Failure {
    Usage(String),
    Failed(String),
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Failed(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &[String]) -> Result<(), Failure> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Checked before connecting, so a typo costs no database round trip.
    let command = match args.as_slice() {
        ["users"] => Command::Users,
        ["deactivate", who] => Command::SetActive(who, false),
        ["reactivate", who] => Command::SetActive(who, true),
        ["end-sessions", who] => Command::EndSessions(who),
        ["events", who] => Command::Events(who, 20),
        ["events", who, count] => Command::Events(
            who,
            count
                .parse()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| {
                    Failure::Usage(format!("{count:?} is not a count from 1 to 1000"))
                })?,
        ),
        [] | ["help" | "--help" | "-h"] => return Err(Failure::Usage("no command given".into())),
        [command, ..] if COMMANDS.contains(command) => {
            return Err(Failure::Usage(format!("wrong arguments for {command}")));
        }
        [command, ..] => return Err(Failure::Usage(format!("unknown command {command:?}"))),
    };
    let db = connect().await?;
    let failed = |e: sqlx::Error| Failure::Failed(format!("database error: {e}"));
    match command {
        Command::Users => {
            let users = admin::users(&db).await.map_err(failed)?;
            print_table(
                &[
                    "email",
                    "name",
                    "vector id",
                    "active",
                    "sessions",
                    "created",
                    "id",
                ],
                users.iter().map(|u| {
                    vec![
                        u.email.clone(),
                        name(u),
                        u.vector_uga_user_id.clone().unwrap_or_default(),
                        yes_no(u.is_active),
                        u.live_sessions.to_string(),
                        minutes(u.created_at),
                        u.id.to_string(),
                    ]
                }),
            );
            println!("{} user{}", users.len(), plural(users.len()));
        }
        Command::SetActive(who, active) => {
            let user = find(&db, who).await?;
            let (changed, ended) = admin::set_active(&db, user.id, active)
                .await
                .map_err(failed)?;
            let state = if active { "active" } else { "deactivated" };
            match (changed, active) {
                (false, _) => println!("{} was already {state}", printable(&user.email)),
                (true, true) => println!("{} is active again", printable(&user.email)),
                (true, false) => println!(
                    "{} is deactivated; {ended} session{} ended",
                    printable(&user.email),
                    plural(ended)
                ),
            }
        }
        Command::EndSessions(who) => {
            let user = find(&db, who).await?;
            let ended = admin::end_sessions(&db, user.id).await.map_err(failed)?;
            println!(
                "{}: {ended} session{} ended",
                printable(&user.email),
                plural(ended)
            );
        }
        Command::Events(who, count) => {
            let user = find(&db, who).await?;
            let events = admin::events(&db, user.id, count).await.map_err(failed)?;
            print_table(
                &["when", "event", "device", "address", "details"],
                events.iter().map(|e| {
                    vec![
                        e.at.get(..19).unwrap_or(&e.at).replace('T', " "),
                        e.kind.clone(),
                        e.device.clone(),
                        e.ip_address.clone(),
                        e.details.clone(),
                    ]
                }),
            );
            println!(
                "{} event{} of {}",
                events.len(),
                plural(events.len()),
                printable(&user.email)
            );
        }
    }
    Ok(())
}

const COMMANDS: [&str; 5] = [
    "users",
    "deactivate",
    "reactivate",
    "end-sessions",
    "events",
];

enum Command<'a> {
    Users,
    SetActive(&'a str, bool),
    EndSessions(&'a str),
    Events(&'a str, i64),
}

async fn connect() -> Result<PgPool, Failure> {
    match dotenvy::dotenv() {
        Ok(_) => {}
        Err(e) if e.not_found() => {}
        Err(e) => return Err(Failure::Failed(format!("cannot read .env: {e}"))),
    }
    let options = database_url(&Env::from_process()).map_err(|e| Failure::Failed(e.to_string()))?;
    let target = format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("")
    );
    let db = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect_with(options)
        .await
        .map_err(|e| Failure::Failed(format!("cannot connect to the database at {target}: {e}")))?;
    vector_auth::migrate(&db)
        .await
        .map_err(|e| Failure::Failed(format!("cannot migrate the database: {e}")))?;
    Ok(db)
}

async fn find(db: &PgPool, who: &str) -> Result<UserSummary, Failure> {
    admin::find_user(db, who)
        .await
        .map_err(|e| Failure::Failed(format!("database error: {e}")))?
        .ok_or_else(|| Failure::Failed(format!("no user with the email or id {who:?}")))
}

fn name(user: &UserSummary) -> String {
    format!("{} {}", user.first_name, user.last_name)
        .trim()
        .to_owned()
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn minutes(at: time::OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// Text as it came from the proxy or a browser (names, emails, user agents), made safe for a terminal: control
/// characters are written as escapes (`\u{1b}`), so a name holding escape codes cannot clear the operator's
/// screen or rewrite what it shows.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Columns padded to their widest cell, with a header and a rule; every cell made printable.
fn print_table(header: &[&str], rows: impl Iterator<Item = Vec<String>>) {
    let rows: Vec<Vec<String>> = rows
        .map(|row| row.iter().map(|cell| printable(cell)).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.iter().map(|h| (*h).to_owned()).collect());
    line(widths.iter().map(|w| "-".repeat(*w)).collect());
    for row in rows {
        line(row);
    }
}
