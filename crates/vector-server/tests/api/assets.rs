//! The browser bundle: precompressed copies chosen by the browser's Accept-Encoding, cached for good when the
//! names are hashed and revalidated when not; large answers compressed on the fly, small ones left alone.

use std::io::Read;
use std::path::PathBuf;

use sqlx::PgPool;

use crate::support::*;

const WASM: &str = "/pkg/vector_app.0123abcd.wasm";

/// A site folder as `cargo leptos build --release --precompress` lays it out: each bundle file and its
/// brotli and gzip copies (their contents only have to tell them apart here).
struct Site(PathBuf);

impl Site {
    fn new() -> Self {
        let root = std::env::temp_dir().join(format!("app-test-site-{}", uuid::Uuid::new_v4()));
        let pkg = root.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        let name = WASM.trim_start_matches("/pkg/");
        std::fs::write(pkg.join(name), b"raw wasm").unwrap();
        std::fs::write(pkg.join(format!("{name}.br")), b"brotli wasm").unwrap();
        std::fs::write(pkg.join(format!("{name}.gz")), b"gzip wasm").unwrap();
        Self(root)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn fetch(app: &TestApp, path: &str, accept_encoding: Option<&str>) -> reqwest::Response {
    let mut request = app.get(path);
    if let Some(encodings) = accept_encoding {
        request = request.header("accept-encoding", encodings);
    }
    request.send().await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

#[sqlx::test]
async fn hashed_bundle_files_are_served_precompressed_and_cached_for_good(db: PgPool) {
    let site = Site::new();
    let app = spawn_app_serving(db, &site.0, true).await;

    for (accepted, encoding, body) in [
        (Some("gzip, deflate, br, zstd"), Some("br"), "brotli wasm"),
        (Some("gzip"), Some("gzip"), "gzip wasm"),
        (None, None, "raw wasm"),
    ] {
        let response = fetch(&app, WASM, accepted).await;
        assert_eq!(response.status(), 200, "{accepted:?}");
        assert_eq!(
            header(&response, "content-encoding"),
            encoding,
            "{accepted:?}"
        );
        assert_eq!(header(&response, "content-type"), Some("application/wasm"));
        assert_eq!(
            header(&response, "cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{accepted:?}"
        );
        assert_eq!(header(&response, "vary"), Some("accept-encoding"));
        assert_eq!(response.text().await.unwrap(), body, "{accepted:?}");
    }

    // A name this build does not have (a newer build's, say) must not be cached as missing.
    let missing = fetch(&app, "/pkg/vector_app.ffff0000.wasm", Some("br")).await;
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "cache-control"), None);
}

#[sqlx::test]
async fn unhashed_bundle_files_are_revalidated_on_every_visit(db: PgPool) {
    let site = Site::new();
    let app = spawn_app_serving(db, &site.0, false).await;

    let first = fetch(&app, WASM, Some("br")).await;
    assert_eq!(first.status(), 200);
    assert_eq!(header(&first, "cache-control"), Some("no-cache"));
    let modified = header(&first, "last-modified")
        .expect("a date to revalidate against")
        .to_owned();

    // The browser asks again with the date it has; the file has not changed, so nothing is sent again.
    let again = app
        .get(WASM)
        .header("accept-encoding", "br")
        .header("if-modified-since", &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
}

#[sqlx::test]
async fn pages_are_compressed_on_the_fly_and_small_answers_are_not(db: PgPool) {
    let app = spawn_app(db).await;

    let page = fetch(&app, "/", Some("gzip")).await;
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "content-encoding"), Some("gzip"));
    assert!(
        header(&page, "vary").is_some_and(|v| v.contains("accept-encoding")),
        "{:?}",
        page.headers()
    );
    let compressed = page.bytes().await.unwrap();
    let mut html = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut html)
        .expect("a gzip body");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(
        compressed.len() < html.len() * 2 / 3,
        "{} → {}",
        html.len(),
        compressed.len()
    );

    // A client that accepts no encoding gets the page as it is.
    let plain = fetch(&app, "/", None).await;
    assert_eq!(header(&plain, "content-encoding"), None);
    assert!(plain.text().await.unwrap().starts_with("<!DOCTYPE html>"));

    // `/me` is a few hundred bytes: compressing it would cost more than it saves.
    let ada = app.sign_in_as("ada@example.com").await;
    let me = app
        .get("/api/accounts/me/")
        .header("cookie", ada.cookie_header())
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(header(&me, "content-encoding"), None);
    assert_eq!(
        me.json::<serde_json::Value>().await.unwrap()["email"],
        "ada@example.com"
    );
}
