//! The platform's test site (`vector_testing::site`) as a server program: what `vector-server`'s tests run
//! when they need the process itself (its log, its start-up, `server healthcheck`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    vector_testing::site::server().main().await
}
