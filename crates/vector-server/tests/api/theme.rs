//! The theme's form without JavaScript (`vector_ui::routes`, `POST /api/theme`): the cookie set and the browser
//! sent back, to a page of this site only; anything but a known theme refused.

use sqlx::PgPool;

use crate::support::*;

#[sqlx::test(migrations = false)]
async fn the_theme_form_sets_the_cookie_and_sends_the_browser_back_to_this_site_only(db: PgPool) {
    let app = spawn_app(db).await;

    let response = app
        .post("/api/theme")
        .form(&[("theme", "dark"), ("return_to", "/notes?tab=2")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/notes?tab=2");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("theme=dark;"), "{cookie}");
    for attribute in ["Path=/", "SameSite=Lax", "Max-Age=31536000"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }

    for elsewhere in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "notes",
        "",
    ] {
        let response = app
            .post("/api/theme")
            .form(&[("theme", "light"), ("return_to", elsewhere)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{elsewhere:?}");
        assert_eq!(response.headers()["location"], "/", "{elsewhere:?}");
    }

    for (form, why) in [
        (
            vec![("theme", "blue"), ("return_to", "/")],
            "an unknown theme",
        ),
        (vec![("return_to", "/")], "no theme"),
    ] {
        let response = app.post("/api/theme").form(&form).send().await.unwrap();
        assert!(
            response.status().is_client_error(),
            "{why}: {}",
            response.status()
        );
        assert!(response.headers().get("set-cookie").is_none(), "{why}");
    }
    let response = app
        .post("/api/theme")
        .form(&[("theme", "blue")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        detail(response).await,
        "The theme is light, dark or system."
    );
}
