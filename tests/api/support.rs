//! The harness (`vector_testing`) over this app. The app applies the platform's migrations and then its own
//! when it starts, so tests say `#[sqlx::test(migrations = false)]`: sqlx alone would apply only the app's.

use sqlx::PgPool;
pub use vector_testing::*;

/// This app with sign-in through a stand-in proxy, over the test's database: a feature's test starts here.
pub async fn spawn_app(db: PgPool) -> TestApp {
    vector_testing::spawn(&app::server(), db).await
}
