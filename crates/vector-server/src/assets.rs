//! The browser bundle under `/pkg` (the wasm, its JS glue and the stylesheet), and compression on the fly.
//!
//! A release build (`cargo leptos build --release --precompress`) names each bundle file after a hash of its
//! content (`hash-files` in Cargo.toml) and writes brotli and gzip copies beside it. They are served as the
//! browser accepts them, with `Vary: Accept-Encoding`, and cached for a year (`immutable`): a new build has new
//! names. A build without the copies (development) is compressed on the fly instead. wasm-bindgen's snippets
//! (`/pkg/snippets/`) keep their names, as does everything when `hash-files` is off: those are revalidated on
//! every visit.
//!
//! Pages and server functions' answers are gzipped on the fly when they are larger than
//! `COMPRESS_MIN_BYTES`. The REST routes (auth, health) are left out: a few hundred bytes each, nothing to gain.

use std::path::Path;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use leptos::config::LeptosOptions;
use tower::ServiceBuilder;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::services::ServeDir;

/// Hashed names change with the content, so a browser never needs to ask again.
const HASHED: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
/// Other names stay the same across builds: the browser asks each time (a 304 when unchanged).
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");
/// Answers smaller than this are not compressed on the fly.
const COMPRESS_MIN_BYTES: u16 = 1024;
/// gzip at 4: most of its best ratio for a fraction of the time.
const COMPRESSION_QUALITY: i32 = 4;

/// `/pkg`: the bundle files as they lie in the site folder, precompressed copies preferred.
pub fn bundle_routes<S: Clone + Send + Sync + 'static>(options: &LeptosOptions) -> Router<S> {
    let folder = Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let files = ServiceBuilder::new()
        // Only for a build without its precompressed copies (development, or a release built without
        // `--precompress`): a precompressed file is sent as it is.
        .layer(compression())
        .layer(from_fn_with_state(options.hash_files, bundle_caching))
        .service(
            ServeDir::new(folder)
                .precompressed_br()
                .precompressed_gzip(),
        );
    Router::new().nest_service(&format!("/{}", options.site_pkg_dir), files)
}

/// Middleware: caching by name. wasm-bindgen's snippets (the JS files the crates bring, under `snippets/`)
/// keep their names from build to build, so only the other files count as hashed. Only a file found is
/// cacheable: a 404 for a name that a newer build will have must not stick.
async fn bundle_caching(
    State(hashed_names): State<bool>,
    request: Request,
    next: Next,
) -> Response {
    let hashed = hashed_names && !request.uri().path().starts_with("/snippets/");
    let mut response = next.run(request).await;
    let found = response.status().is_success();
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    if found {
        headers.insert(
            header::CACHE_CONTROL,
            if hashed { HASHED } else { REVALIDATE },
        );
    }
    response
}

/// Middleware: gzip, when the request accepts it, for answers over `COMPRESS_MIN_BYTES` that are not
/// compressed already. Not brotli on the fly: its encoder keeps a window of megabytes per response, which
/// took the server from 16 to 88 MB under load on pages (`scripts/bench load`); the bundle's brotli copies
/// are made at build time.
pub fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(COMPRESSION_QUALITY))
        .compress_when(DefaultPredicate::new().and(SizeAbove::new(COMPRESS_MIN_BYTES)))
}
