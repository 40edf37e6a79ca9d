//! A bug that panics in a handler is a logged 500 with a JSON detail, not a dropped connection, and the server
//! goes on serving.

use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::*;

#[sqlx::test]
async fn a_panicking_server_function_answers_500_and_the_server_keeps_serving(db: PgPool) {
    let app = spawn_app(db).await;
    let ada = app.sign_in_as("ada@example.com").await;
    for _ in 0..3 {
        let response = app.call(site::PanicOnPurpose::PATH, &[], &ada).await;
        assert_eq!(response.status(), 500);
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "a JSON detail"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            json!({"status": 500, "detail": "Internal server error."})
        );
    }
    assert_eq!(
        app.get("/api/health/live").send().await.unwrap().status(),
        200
    );
    assert_eq!(app.me(&ada).await.status(), 200);
}
