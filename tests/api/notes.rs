//! The example notes feature through its server functions: per-user isolation, validation and statuses.

use app::pages::notes::{CreateNote, DeleteNote, ListNotes};
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::*;

#[sqlx::test(migrations = false)]
async fn one_user_can_neither_see_nor_delete_another_users_notes(db: PgPool) {
    let app = spawn_app(db).await;
    let ada = app.sign_in_as("ada@example.com").await;
    let bob = app.sign_in_as("bob@example.com").await;

    let response = app
        .call(CreateNote::PATH, &[("body", "  ada's secret  ")], &ada)
        .await;
    assert_eq!(response.status(), 200);
    let note: Value = response.json().await.unwrap();
    assert_eq!(note["body"], "ada's secret");
    let id = note["id"].as_str().unwrap().to_owned();

    let listed: Value = app
        .call(ListNotes::PATH, &[], &bob)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!({"items": [], "next": null}));
    let response = app.call(DeleteNote::PATH, &[("id", &id)], &bob).await;
    assert_eq!(response.status(), 404);

    let listed: Value = app
        .call(ListNotes::PATH, &[], &ada)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed,
        json!({"items": [{"id": id, "body": "ada's secret"}], "next": null})
    );
    assert_eq!(
        app.call(DeleteNote::PATH, &[("id", &id)], &ada)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.call(DeleteNote::PATH, &[("id", &id)], &ada)
            .await
            .status(),
        404
    );
}

#[sqlx::test(migrations = false)]
async fn bad_input_and_missing_sessions_get_their_statuses(db: PgPool) {
    let app = spawn_app(db).await;
    let ada = app.sign_in_as("ada@example.com").await;

    let response = app.call(CreateNote::PATH, &[("body", "   ")], &ada).await;
    assert_eq!(response.status(), 400);
    assert_eq!(detail(response).await, "A note cannot be empty.");
    let long = "x".repeat(1001);
    assert_eq!(
        app.call(CreateNote::PATH, &[("body", &long)], &ada)
            .await
            .status(),
        400
    );
    assert_eq!(
        app.call(DeleteNote::PATH, &[("id", "not-a-uuid")], &ada)
            .await
            .status(),
        400
    );
    // Postgres cannot store U+0000: a 400 from the app, not a 500 from the database.
    let response = app.call(CreateNote::PATH, &[("body", "a\0b")], &ada).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        detail(response).await,
        "A note cannot hold a NUL character."
    );

    assert_eq!(
        app.call(ListNotes::PATH, &[], &Session::default())
            .await
            .status(),
        401
    );
    let response = app
        .http
        .post(app.url(CreateNote::PATH))
        .header("cookie", ada.cookie_header())
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.com")
        .form(&[("body", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(app.rows("notes").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_page_load_with_only_a_refresh_cookie_renders_signed_in(db: PgPool) {
    let app = spawn_app(db).await;
    let session = app.sign_in_as("ada@example.com").await;
    let refresh_only =
        Session::default().with("refresh_token", session.get("refresh_token").unwrap());

    let response = app
        .get("/")
        .header("accept", "text/html")
        .header("cookie", refresh_only.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let names: Vec<String> = set_cookies(&response)
        .into_iter()
        .map(|(name, _, _)| name)
        .collect();
    assert!(
        names.contains(&"access_token".to_owned()) && names.contains(&"refresh_token".to_owned()),
        "{names:?}"
    );
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains("Ada Lovelace"), "the first HTML is signed in");

    // A dead refresh cookie: the page renders signed out and the cookies are cleared.
    let response = app
        .get("/")
        .header("accept", "text/html")
        .header("cookie", "refresh_token=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(
        set_cookies(&response)
            .iter()
            .filter(|(_, _, a)| a.contains("Max-Age=0"))
            .count(),
        3
    );
    assert!(response.text().await.unwrap().contains(">Sign in<"));
}

#[sqlx::test(migrations = false)]
async fn a_page_another_site_sent_the_browser_to_does_not_rotate_the_session(db: PgPool) {
    let app = spawn_app(db).await;
    let session = app.sign_in_as("ada@example.com").await;
    let refresh_only =
        Session::default().with("refresh_token", session.get("refresh_token").unwrap());

    for site in ["cross-site", "same-site"] {
        let response = app
            .get("/")
            .header("accept", "text/html")
            .header("sec-fetch-site", site)
            .header("cookie", refresh_only.cookie_header())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            set_cookies(&response).is_empty(),
            "{site}: nothing rotated, nothing set"
        );
        let html = response.text().await.unwrap();
        assert!(
            !html.contains("Ada Lovelace"),
            "{site}: rendered without the session"
        );
        assert!(
            !html.contains(">Sign in<"),
            "{site}: nor as signed out: the browser refreshes once hydrated"
        );
    }
    // The refresh token was not used: it still rotates, once.
    assert_eq!(app.refresh(&refresh_only).await.status(), 204);
}

#[sqlx::test(migrations = false)]
async fn the_notes_page_renders_a_users_notes_on_the_server(db: PgPool) {
    let app = spawn_app(db).await;
    let ada = app.sign_in_as("ada@example.com").await;
    assert_eq!(
        app.call(
            CreateNote::PATH,
            &[("body", "rendered on the server")],
            &ada
        )
        .await
        .status(),
        200
    );

    let response = app
        .get("/notes")
        .header("accept", "text/html")
        .header("cookie", ada.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("rendered on the server"),
        "the note is in the server-rendered page"
    );
}

#[sqlx::test(migrations = false)]
async fn the_notes_list_comes_in_pages_of_100_newest_first(db: PgPool) {
    let app = spawn_app(db).await;
    let ada = app.sign_in_as("ada@example.com").await;
    let bob = app.sign_in_as("bob@example.com").await;
    for n in 0..103 {
        let response = app
            .call(CreateNote::PATH, &[("body", &format!("note {n}"))], &ada)
            .await;
        assert_eq!(response.status(), 200);
    }
    app.call(CreateNote::PATH, &[("body", "bob's")], &bob).await;

    let first: Value = app
        .call(ListNotes::PATH, &[], &ada)
        .await
        .json()
        .await
        .unwrap();
    let items = first["items"].as_array().unwrap();
    assert_eq!(items.len(), 100);
    assert_eq!(items[0]["body"], "note 102", "newest first");
    let cursor = first["next"].as_str().expect("a cursor for the next page");
    let second: Value = app
        .call(ListNotes::PATH, &[("cursor", cursor)], &ada)
        .await
        .json()
        .await
        .unwrap();
    let rest: Vec<&str> = second["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|note| note["body"].as_str().unwrap())
        .collect();
    assert_eq!(rest, ["note 2", "note 1", "note 0"]);
    assert_eq!(second["next"], Value::Null);

    // A cursor of Ada's list shows Bob nothing of hers.
    let bobs: Value = app
        .call(ListNotes::PATH, &[("cursor", cursor)], &bob)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        bobs["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["body"] == "bob's")
    );
    let response = app
        .call(ListNotes::PATH, &[("cursor", "not-a-cursor")], &ada)
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(detail(response).await, "Invalid cursor.");
}
