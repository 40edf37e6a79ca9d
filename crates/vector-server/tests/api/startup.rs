//! Start-up of the real server binary: a bad setting stops it with one line naming the variable.

use std::process::Command;

use vector_testing::site_binary;

/// The exit code, standard error and standard output (the log) of a server started with these settings.
fn run_with(vars: &[(&str, &str)]) -> (Option<i32>, String, String) {
    // An empty folder, so no `.env` is read; a clean environment, so only these settings count.
    let dir = std::env::temp_dir().join(format!("startup-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let output = Command::new(site_binary())
        .current_dir(&dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LEPTOS_ENV", "DEV")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn start_with(vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let (code, stderr, _) = run_with(vars);
    (code, stderr)
}

#[test]
fn a_bad_setting_stops_the_server_with_one_line_naming_it() {
    let database = ("DATABASE_URL", "postgres://postgres@127.0.0.1:1/unused");
    let cases = [
        (
            vec![("DATABASE_URL", "nonsense")],
            "error: DATABASE_URL=\"nonsense\" is invalid: expected a Postgres URL",
        ),
        (
            vec![database, ("ACCESS_TOKEN_COOKIE_SAMESITE", "Sideways")],
            "error: ACCESS_TOKEN_COOKIE_SAMESITE=\"Sideways\" is invalid: expected Lax, Strict or None",
        ),
        (
            vec![database, ("ACCESS_TOKEN_COOKIE_MAX_AGE", "-5")],
            "error: ACCESS_TOKEN_COOKIE_MAX_AGE=\"-5\" is invalid: expected a whole number from 1 to 86400",
        ),
        (
            vec![
                database,
                ("LEPTOS_ENV", "PROD"),
                ("SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ],
            "error: VECTOR_AUTH_PROXY_URL is not set",
        ),
        (vec![], "error: DATABASE_URL is not set"),
        (
            vec![database, ("LOG_FORMAT", "yaml")],
            "error: LOG_FORMAT=\"yaml\" is invalid: expected text or json",
        ),
        (
            vec![database, ("METRICS_ADDR", "9100")],
            "error: METRICS_ADDR=\"9100\" is invalid: expected an address and port such as 127.0.0.1:9100",
        ),
    ];
    for (vars, expected) in cases {
        let (code, stderr) = start_with(&vars);
        assert_eq!(code, Some(1), "{vars:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one line, no panic or backtrace: {stderr}");
        assert!(lines[0].starts_with(expected), "{vars:?}: {stderr}");
    }
}

#[test]
fn an_unreachable_database_is_reported_without_the_password() {
    let (code, stderr) = start_with(&[("DATABASE_URL", "postgres://app:hunter2@127.0.0.1:1/app")]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("cannot reach the database at 127.0.0.1:1/app"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn a_production_start_without_an_audience_is_refused_unless_any_audience_is_intended() {
    let production = [
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:1/unused"),
        ("LEPTOS_ENV", "PROD"),
        ("SECRET_KEY", "0123456789abcdef0123456789abcdef"),
        ("VECTOR_AUTH_PROXY_URL", "https://auth.example.com"),
    ];
    let (code, stderr, _) = run_with(&production);
    assert_eq!(code, Some(1));
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with(
            "error: VECTOR_AUTH_AUDIENCE is not set: expected this app's audience at Vector's auth proxy, so that \
             tokens issued for other Vector apps are refused (or VECTOR_AUTH_ANY_AUDIENCE=true to accept them)"
        ),
        "{stderr}"
    );
    // Set, or any audience said to be intended: the start goes on (to the missing database).
    for extra in [
        ("VECTOR_AUTH_AUDIENCE", "my-app"),
        ("VECTOR_AUTH_ANY_AUDIENCE", "true"),
    ] {
        let mut settings = production.to_vec();
        settings.push(extra);
        let (code, stderr, _) = run_with(&settings);
        assert_eq!(code, Some(1));
        assert!(
            stderr.contains("cannot reach the database"),
            "{extra:?}: {stderr}"
        );
    }
    // Development needs neither.
    let mut development = production.to_vec();
    development[1] = ("LEPTOS_ENV", "DEV");
    let (_, stderr, _) = run_with(&development);
    assert!(stderr.contains("cannot reach the database"), "{stderr}");
}
