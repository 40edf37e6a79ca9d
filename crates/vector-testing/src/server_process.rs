//! The real server binary as a process, for what only the process shows: its log, its start-up.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use crate::SECRET_KEY;

/// The server process, stopped when the test ends however it ends.
pub struct RunningServer {
    child: Option<Child>,
    dir: PathBuf,
}

impl RunningServer {
    /// Starts the server `binary` on `port` over the database at `database_url`, in an empty folder (no
    /// `.env`) with a clean environment plus `extra`; its output is captured.
    pub fn start(binary: &Path, database_url: &str, port: u16, extra: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir().join(format!("server-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new(binary)
            .current_dir(&dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("LEPTOS_ENV", "DEV")
            .env("LEPTOS_OUTPUT_NAME", "vector_app")
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", database_url)
            .env("SECRET_KEY", SECRET_KEY)
            .env("VECTOR_AUTH_PROXY_URL", "http://127.0.0.1:1")
            .env("RUST_LOG", "info")
            .envs(extra.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Self {
            child: Some(child),
            dir,
        }
    }

    /// SIGTERM, as an orchestrator stops it; then what it wrote.
    pub fn stop(mut self) -> Output {
        let child = self.child.take().unwrap();
        let _ = Command::new("kill").arg(child.id().to_string()).status();
        child.wait_with_output().unwrap()
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `vector-server`'s example `site` (the test site as a server program), which `cargo test` builds beside the
/// test binaries.
pub fn site_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<test binary> → target/<profile>/examples/site
    let binary = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary is in target/<profile>/deps")
        .join("examples")
        .join(format!("site{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "{} is missing: build it with `cargo build -p vector-server --example site`",
        binary.display()
    );
    binary
}
