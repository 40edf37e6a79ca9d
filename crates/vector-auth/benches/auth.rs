//! Micro-benchmarks of the auth hot paths, against real Postgres and the dev auth proxy as the token
//! issuer. Run by `scripts/bench` (or `cargo bench -p vector-auth --features ssr --bench auth` with
//! DATABASE_URL set). The whole-router figures serve the platform's test site.

use std::hint::black_box;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use criterion::{Criterion, criterion_group, criterion_main};
use leptos::config::LeptosOptions;
use sqlx::PgPool;
use tower::ServiceExt;
use vector_auth::{
    AuthConfig, AuthService, Client, Credentials, JwksClient, ProxyTokenVerifier, session_cookies,
};
use vector_core::env::Env;
use vector_server::{Config, Platform};
use vector_testing::DevAuthProxy;

const SECRET_KEY: &str = "bench-secret-key-0123456789abcdef0123456789";

struct Setup {
    runtime: tokio::runtime::Runtime,
    // Kept alive for the JWKS.
    proxy: DevAuthProxy,
    db: PgPool,
    env: Env,
    proxy_token: String,
}

fn setup() -> Setup {
    let runtime = tokio::runtime::Runtime::new().expect("Tokio runtime");
    let proxy = DevAuthProxy::start(
        env!("CARGO_BIN_EXE_dev-auth-proxy"),
        &[("DEV_AUTH_PROXY_AUDIENCE", "bench-app")],
    );
    let database_url = std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must point at a Postgres the benchmark may write to (scripts/bench sets it)",
    );
    let env = Env::from_pairs([
        ("DATABASE_URL", database_url.as_str()),
        ("LEPTOS_ENV", "PROD"),
        ("SECRET_KEY", SECRET_KEY),
        ("VECTOR_AUTH_PROXY_URL", proxy.url.as_str()),
        ("VECTOR_AUTH_AUDIENCE", "bench-app"),
    ]);
    let (db, proxy_token) = runtime.block_on(async {
        let db = PgPool::connect(&database_url)
            .await
            .expect("connect to DATABASE_URL");
        vector_auth::migrate(&db).await.expect("migrations");
        (db, proxy.token("micro@bench.test").await)
    });
    Setup {
        runtime,
        proxy,
        db,
        env,
        proxy_token,
    }
}

/// The same access token, signed again without its session id.
fn without_session_id(token: &str) -> String {
    use base64::Engine as _;
    let header = jsonwebtoken::decode_header(token).expect("a JWT");
    let payload = token.split('.').nth(1).expect("a JWT");
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    let mut claims: serde_json::Value = serde_json::from_slice(&json).expect("JSON claims");
    claims.as_object_mut().expect("an object").remove("sid");
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET_KEY.as_bytes());
    jsonwebtoken::encode(&header, &claims, &key).expect("HS256 signing")
}

fn auth_config(env: &Env) -> AuthConfig {
    AuthConfig::from_env(env, true).expect("bench configuration")
}

fn benches(c: &mut Criterion) {
    let setup = setup();
    let rt = &setup.runtime;

    // Request authentication: the access token's check plus the user lookup a request needs.
    let auth = AuthService::new(auth_config(&setup.env), setup.db.clone());
    let sign_in = rt
        .block_on(auth.exchange(
            &setup.proxy_token,
            &Client::new([127, 0, 0, 1].into(), Some("criterion")),
        ))
        .expect("exchange");
    let credentials = Credentials {
        access_cookie: Some(sign_in.session.access.clone()),
        ..Credentials::default()
    };
    rt.block_on(auth.current_user(&credentials))
        .expect("current user");
    c.bench_function("authenticate request (access cookie, cached user)", |b| {
        b.iter(|| {
            rt.block_on(auth.current_user(black_box(&credentials)))
                .unwrap()
        })
    });
    // What the ended-session check costs: the same access-token check with a session id to look up, and with
    // none (as tokens from before sessions had ids).
    let legacy = Credentials {
        access_cookie: Some(without_session_id(&sign_in.session.access)),
        ..Credentials::default()
    };
    c.bench_function("access-token check with the ended-session lookup", |b| {
        b.iter(|| auth.authenticate(black_box(&credentials)).unwrap())
    });
    c.bench_function("access-token check without a session id (no lookup)", |b| {
        b.iter(|| auth.authenticate(black_box(&legacy)).unwrap())
    });
    // The same without the cache: what each request would pay if it asked Postgres.
    let uncached = AuthService::new(
        auth_config(&setup.env.clone().with("USER_CACHE_SECONDS", "0")),
        setup.db.clone(),
    );
    c.bench_function(
        "authenticate request (access cookie, user from Postgres)",
        |b| {
            b.iter(|| {
                rt.block_on(uncached.current_user(black_box(&credentials)))
                    .unwrap()
            })
        },
    );

    // The whole `GET /api/accounts/me/` through the router and its middleware, without the network.
    let config = Config::from_env(&setup.env).expect("bench configuration");
    let options = LeptosOptions::builder().output_name("vector_app").build();
    // Building the route list renders the app once, which spawns on Tokio.
    let app = {
        let _runtime = rt.enter();
        vector_testing::site::server().router(&Platform::new(config, setup.db.clone(), options))
    };
    let cookie = format!(
        "{}={}",
        auth.config().access_cookie.name,
        sign_in.session.access
    );
    c.bench_function("GET /api/health/live in-process (router, no auth)", |b| {
        b.iter(|| {
            let request = Request::get("/api/health/live")
                .body(Body::empty())
                .unwrap();
            let response = rt.block_on(app.clone().oneshot(request)).unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        })
    });
    c.bench_function(
        "GET /api/accounts/me/ in-process (router, cached user)",
        |b| {
            b.iter(|| {
                let request = Request::get("/api/accounts/me/")
                    .header(header::COOKIE, &cookie)
                    .body(Body::empty())
                    .unwrap();
                let response = rt.block_on(app.clone().oneshot(request)).unwrap();
                assert_eq!(response.status(), StatusCode::OK);
            })
        },
    );

    // Proxy-token verification once the proxy's keys are cached.
    let proxy_config = auth_config(&setup.env)
        .proxy
        .expect("a proxy is configured");
    let verifier = ProxyTokenVerifier::new(
        &proxy_config,
        JwksClient::new(
            proxy_config.jwks_url.clone(),
            Duration::from_secs(600),
            Duration::from_secs(30),
            Duration::from_secs(86_400),
        ),
    );
    rt.block_on(verifier.verify(&setup.proxy_token))
        .expect("verify");
    let fetches = verifier.jwks().fetch_count();
    c.bench_function("verify proxy token (RS256, warm JWKS)", |b| {
        b.iter(|| {
            rt.block_on(verifier.verify(black_box(&setup.proxy_token)))
                .unwrap()
        })
    });
    assert_eq!(
        verifier.jwks().fetch_count(),
        fetches,
        "a warm key cache must not fetch the JWKS again"
    );

    // The two session cookies of a sign-in or refresh, as Set-Cookie values.
    let config = auth_config(&setup.env);
    c.bench_function("build session cookies (access + refresh)", |b| {
        b.iter(|| {
            let [access, refresh] = session_cookies(&config, &sign_in.session);
            black_box((access.encoded().to_string(), refresh.encoded().to_string()))
        })
    });
    drop(setup.proxy);
}

criterion_group! {
    name = auth;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(auth);
