# Shared by scripts/dev and scripts/test: install the pinned tools that are missing and provide a database.
# Sourced, not run. Every step is idempotent: what is already there is left alone.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_LEPTOS_VERSION="0.3.10"
# wasm-bindgen-cli must equal the wasm-bindgen crate that Cargo.lock pins.
WASM_BINDGEN_VERSION="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')"

# cargo-leptos compiles the output name into Leptos; plain cargo builds get the same value, so switching between
# `cargo test` and `cargo leptos` does not recompile the Leptos crates.
LEPTOS_OUTPUT_NAME="$(sed -n 's/^output-name = "\(.*\)"$/\1/p' Cargo.toml)"
export LEPTOS_OUTPUT_NAME

# The package's name (the first `name =` in Cargo.toml is the package's) and the folder cargo builds into.
package_name() { sed -n 's/^name = "\(.*\)"$/\1/p' "$ROOT/Cargo.toml" | head -n 1; }
cargo_target_dir() {
  cargo metadata --format-version 1 --no-deps \
    | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).target_directory))'
}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
can_apt() { is_root && command -v apt-get >/dev/null 2>&1; }

apt_install() {
  say "installing $* with apt-get"
  if [ -z "${APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_rust_tools() {
  command -v cargo >/dev/null || die "Rust is not installed: see https://rustup.rs"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION\$"; then
    cargo_install cargo-leptos "$CARGO_LEPTOS_VERSION" "20 minutes on 2 cores"
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
    cargo_install wasm-bindgen-cli "$WASM_BINDGEN_VERSION" "3 minutes on 2 cores"
  fi
}

# cargo_install CRATE VERSION DURATION: a prebuilt binary through cargo-binstall when it is installed and finds
# one, else a build from source (DURATION says how long that took on the machine the figures come from).
cargo_install() {
  local crate="$1" version="$2" duration="$3" started=$SECONDS
  if cargo binstall -V >/dev/null 2>&1; then
    say "installing $crate $version with cargo-binstall"
    # binstall would fall back to compiling by itself, silently: that is done below, saying so.
    if cargo binstall --no-confirm --locked --disable-strategies compile "$crate@$version"; then
      return
    fi
    say "cargo-binstall found no prebuilt $crate $version: building it from source"
  fi
  say "installing $crate $version from source, once: about $duration (cargo lists each crate as it compiles)"
  cargo install "$crate" --locked --version "$version"
  say "installed $crate $version in $(( (SECONDS - started + 30) / 60 )) min"
}

# npm ci in a folder unless its node_modules already matches its package-lock.json.
npm_ci() {
  local dir="$1"
  command -v npm >/dev/null || die "Node.js and npm are not installed: see https://nodejs.org"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "installing npm packages in .${dir#"$ROOT"}"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    [ -x "$CHROMIUM_PATH" ] || die "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable"
    return
  fi
  local candidate
  for candidate in /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -x "$candidate" ]; then export CHROMIUM_PATH="$candidate"; return; fi
  done
  if can_apt; then
    apt_install chromium
    export CHROMIUM_PATH=/usr/bin/chromium
    return
  fi
  die "Chromium is needed for the end-to-end tests: install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary"
}

# nginx, the load balancer of the scale-out end-to-end test (deploy/nginx.conf).
ensure_nginx() {
  local candidate
  for candidate in "${NGINX_BIN:-}" "$(command -v nginx 2>/dev/null || true)" /usr/sbin/nginx; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then export NGINX_BIN="$candidate"; return; fi
  done
  if can_apt; then
    apt_install nginx
    export NGINX_BIN=/usr/sbin/nginx
    return
  fi
  die "nginx is needed for the scale-out end-to-end test: install it (Debian/Ubuntu: sudo apt-get install nginx) or set NGINX_BIN to an nginx binary"
}

# --- Postgres --------------------------------------------------------------------------------------------

find_pg_bin() {
  local dir
  for dir in "${PG_BIN:-}" "$(pg_config --bindir 2>/dev/null || true)" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) /usr/local/pgsql/bin /opt/homebrew/bin; do
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return; fi
  done
}

ensure_pg_bin() {
  PG_BIN="$(find_pg_bin)"
  if [ -z "$PG_BIN" ] && can_apt; then
    apt_install postgresql
    PG_BIN="$(find_pg_bin)"
  fi
  [ -n "$PG_BIN" ] || die "no Postgres server binaries found (initdb, pg_ctl): install PostgreSQL (Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql) or set DATABASE_URL to a server you have"
}

# Postgres refuses to run as root: as root, the cluster runs as the postgres user.
as_pg_user() {
  if is_root; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local port
  for port in $(seq "${1:-54320}" 54399); do
    if ! port_in_use "$port"; then echo "$port"; return; fi
  done
  die "no free TCP port between ${1:-54320} and 54399"
}

# start_cluster DIR: starts (creating it first if needed) a cluster in DIR listening on 127.0.0.1 and
# prints its port.
start_cluster() {
  local dir="$1" port
  mkdir -p "$dir"
  if is_root; then
    chown postgres "$dir" 2>/dev/null || { id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres; chown postgres "$dir"; }
    as_pg_user test -w "$dir" || die "the postgres user cannot reach $dir (a parent folder is closed to it): set DATABASE_URL to a server you have"
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg_user "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || die "initdb failed: see $dir/initdb.log"
  fi
  if as_pg_user "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    cat "$dir/port"
    return
  fi
  port="$(cat "$dir/port" 2>/dev/null || true)"
  if [ -z "$port" ] || port_in_use "$port"; then port="$(free_port)"; fi
  # A port that nothing listens on may still be taken as the local end of a connection (the range is inside
  # Linux's ephemeral ports): then the next one is tried.
  local attempt
  for attempt in 1 2 3 4 5; do
    if as_pg_user "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start >/dev/null 2>&1; then
      echo "$port" | as_pg_user tee "$dir/port" >/dev/null
      echo "$port"
      return
    fi
    grep -q "could not bind" "$dir/server.log" 2>/dev/null || break
    port="$(free_port $(( port + 1 )))"
  done
  die "Postgres did not start: see $dir/server.log"
}

stop_cluster() {
  as_pg_user "$PG_BIN/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null 2>&1 || true
}

# create_database PORT NAME: creates the database unless it exists.
create_database() {
  as_pg_user "$PG_BIN/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -tAq -v ON_ERROR_STOP=1 \
    -c "SELECT 1 FROM pg_database WHERE datname = '$2'" | grep -q 1 \
    || as_pg_user "$PG_BIN/createdb" -h 127.0.0.1 -p "$1" -U postgres "$2"
}
