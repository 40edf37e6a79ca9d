//! The home page, its database check and the page for an unknown address, rendered by this app.

use app::pages::home::DatabaseStatus;
use leptos::server_fn::ServerFn;
use sqlx::PgPool;

use crate::support::*;

#[sqlx::test(migrations = false)]
async fn the_home_page_and_its_database_check_answer_and_unknown_pages_are_404(db: PgPool) {
    let app = spawn_app(db).await;
    let page = app.get("/").send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Welcome to your Vector app"), "{html}");

    let missing = app.get("/no-such-page").send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"));

    let response = app
        .post(DatabaseStatus::PATH)
        .form(&[("", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().await.unwrap(),
        "null",
        "the database answers, and that is all an anonymous caller learns"
    );
}
