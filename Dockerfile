# The app's container image: built with the pinned tools, run on slim Debian as a non-root user, configured
# only through the environment (.env.example lists every setting; set at least DATABASE_URL, SECRET_KEY and VECTOR_AUTH_AUDIENCE).
#
#   docker build -t my-app .                  compiles everything in the builder stage (needs crates.io and npm)
#   podman build --build-arg BUNDLE=prebuilt  wraps the bundle scripts/release left in dist/ instead
#
# Both base images are build arguments, so a mirror or a locally made image can stand in for Docker Hub's.
ARG BUILDER_IMAGE=docker.io/library/rust:1.95-slim-bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim
# `built`: the builder stage below; `prebuilt`: dist/bundle from `scripts/release`.
ARG BUNDLE=built

FROM ${BUILDER_IMAGE} AS builder
# Node.js for binaryen's wasm-opt (package.json); scripts/release installs cargo-leptos, wasm-bindgen-cli and
# the wasm32 target at the versions scripts/common.sh pins.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm binutils \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN scripts/release && mv dist/*/ /bundle

FROM builder AS bundle-built

FROM scratch AS bundle-prebuilt
COPY dist/bundle /bundle

FROM bundle-${BUNDLE} AS bundle

FROM ${RUNTIME_IMAGE} AS runtime
# No account is needed in /etc/passwd for a numeric user.
COPY --from=bundle --chown=0:0 /bundle /app
WORKDIR /app
USER 10001:10001
ENV LEPTOS_SITE_ADDR=0.0.0.0:3000
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["/app/server", "healthcheck"]
CMD ["/app/run"]
