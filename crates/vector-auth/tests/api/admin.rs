//! The admin command (`src/bin/admin.rs`) as an operator runs it, against the test's database while the app
//! serves: its tables, deactivation ending sessions everywhere, and one clear line for every mistake.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::PgPool;

use crate::support::*;

/// Runs the command in a folder without a `.env`, with this DATABASE_URL (none when `None`).
async fn admin(database_url: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_admin"));
    command
        .args(args)
        .current_dir(std::env::temp_dir())
        .env_remove("DATABASE_URL");
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    tokio::task::spawn_blocking(move || command.output().expect("run the admin command"))
        .await
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[sqlx::test]
async fn users_are_listed_deactivated_and_reactivated(db: PgPool) {
    let url = database_url(&db);
    let app = spawn_app(db).await;
    let ada = app.sign_in_as("ada@example.com").await;
    let ada_phone = app.sign_in_as("ada@example.com").await;
    let bob = app.sign_in_as("bob@example.com").await;

    let output = admin(Some(&url), &["users"]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("email") && lines[0].contains("sessions"),
        "{table}"
    );
    let ada_line = lines
        .iter()
        .find(|l| l.starts_with("ada@example.com"))
        .unwrap();
    assert!(
        ada_line.contains("Ada Lovelace") && ada_line.contains("uga-ada@example.com"),
        "{table}"
    );
    assert!(
        ada_line.contains(" yes ") && ada_line.contains(" 2 "),
        "{table}"
    );
    assert!(table.ends_with("2 users\n"), "{table}");

    let output = admin(Some(&url), &["deactivate", "ADA@example.com"]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "ada@example.com is deactivated; 2 sessions ended\n"
    );
    // The running app refuses both of her sessions' access tokens within seconds, and her sign-ins.
    let started = Instant::now();
    for session in [&ada, &ada_phone] {
        while app.me(session).await.status() != 401 {
            assert!(started.elapsed() < Duration::from_secs(2), "still accepted");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert_eq!(app.refresh(&ada).await.status(), 401);
    let token = app.proxy().token("ada@example.com", json!({}));
    assert_eq!(app.exchange(&token).await.status(), 401);
    assert_eq!(app.me(&bob).await.status(), 200);

    let output = admin(Some(&url), &["deactivate", "ada@example.com"]).await;
    assert_eq!(stdout(&output), "ada@example.com was already deactivated\n");

    let output = admin(Some(&url), &["reactivate", "ada@example.com"]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "ada@example.com is active again\n");
    // The token from before the reactivation was issued before the deactivation ended her sessions everywhere
    // (in the same second, as far as its whole-second `iat` tells): refused. A new one signs her in; the app
    // reads users from a short cache, a sign-in reads Postgres.
    assert_eq!(app.exchange(&token).await.status(), 401);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let token = app.proxy().token("ada@example.com", json!({}));
    assert_eq!(app.exchange(&token).await.status(), 200);

    let output = admin(Some(&url), &["events", "ada@example.com", "3"]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let events = stdout(&output);
    let kinds: Vec<&str> = events
        .lines()
        .skip(2)
        .take(3)
        .map(|line| line.split_whitespace().nth(2).unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["signed-in", "user-reactivated", "user-deactivated"],
        "{events}"
    );
    assert!(events.contains(r#"{"sessions_ended":2}"#), "{events}");
    assert!(events.contains("The admin command"), "{events}");
    assert!(
        events.ends_with("3 events of ada@example.com\n"),
        "{events}"
    );
}

#[sqlx::test]
async fn ending_a_users_sessions_signs_them_out_everywhere(db: PgPool) {
    let url = database_url(&db);
    let app = spawn_app(db).await;
    let bob = app.sign_in_as("bob@example.com").await;
    let id: String =
        sqlx::query_scalar("SELECT id::text FROM users WHERE email = 'bob@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let output = admin(Some(&url), &["end-sessions", &id]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "bob@example.com: 1 session ended\n");
    let started = Instant::now();
    while app.me(&bob).await.status() != 401 {
        assert!(started.elapsed() < Duration::from_secs(2), "still accepted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Bob can sign in again with a new proxy token (one issued after the ending: a second later, as tokens
    // count in whole seconds): ending sessions is not deactivating.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    app.sign_in_as("bob@example.com").await;
}

#[sqlx::test]
async fn every_mistake_gets_one_clear_line_and_a_failing_status(db: PgPool) {
    let url = database_url(&db);
    for (args, code, first_line) in [
        (vec![], 2, "error: no command given"),
        (
            vec!["delete-everything"],
            2,
            "error: unknown command \"delete-everything\"",
        ),
        (
            vec!["deactivate"],
            2,
            "error: wrong arguments for deactivate",
        ),
        (
            vec!["events", "ada@example.com", "lots"],
            2,
            "error: \"lots\" is not a count from 1 to 1000",
        ),
        (
            vec!["deactivate", "nobody@example.com"],
            1,
            "error: no user with the email or id \"nobody@example.com\"",
        ),
    ] {
        let output = admin(Some(&url), &args).await;
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(stderr(&output).lines().next(), Some(first_line), "{args:?}");
        assert!(stdout(&output).is_empty(), "{args:?}");
    }

    let output = admin(None, &["users"]).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with("error: DATABASE_URL is not set"),
        "{}",
        stderr(&output)
    );
    assert_eq!(stderr(&output).lines().count(), 1);

    let output = admin(
        Some("postgres://postgres:hunter2@127.0.0.1:1/app"),
        &["users"],
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.starts_with("error: cannot connect to the database at 127.0.0.1:1/app"),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
}

#[sqlx::test]
async fn names_holding_terminal_escapes_are_printed_escaped(db: PgPool) {
    let url = database_url(&db);
    let app = spawn_app(db).await;
    // From the proxy's claims, as a user could set them: clear the screen, set the window title, ring.
    let token = app.proxy().token(
        "mallory@example.com",
        json!({"first_name": "\u{1b}[2J\u{1b}]0;pwned\u{7}Mallory", "last_name": "\r\u{9b}31m"}),
    );
    app.sign_in(&token).await;

    for args in [
        &["users"][..],
        &["events", "mallory@example.com"][..],
        &["deactivate", "mallory@example.com"][..],
    ] {
        let output = admin(Some(&url), args).await;
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let text = stdout(&output);
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{args:?} printed a control character: {text:?}"
        );
        if args[0] == "users" {
            assert!(
                // The last name's leading `\r` went with the claims' trimming.
                text.contains(r"\u{1b}[2J\u{1b}]0;pwned\u{7}Mallory \u{9b}31m"),
                "{text}"
            );
        }
    }
}
