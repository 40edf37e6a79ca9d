#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    // `server healthcheck`: the container image's HEALTHCHECK.
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return if app::server::check_live().await {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::FAILURE
        };
    }
    if let Err(e) = app::server::init_tracing() {
        eprintln!("error: {e}");
        return std::process::ExitCode::FAILURE;
    }
    match app::server::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser side starts in `lib.rs` (`hydrate`); this binary is built with the `ssr` feature.
}
