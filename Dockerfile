# syntax=docker/dockerfile:1
# Raffler in a container: the build stage makes the deploy artifact (scripts/dist.sh: the server
# with hash.txt and site/ beside it), the run stage holds that folder and nothing else.
#   docker build -t raffler .
#   docker run -p 3000:3000 -v raffler-data:/data -e RAFFLER_PUBLIC_URL=https://raffle.example.org raffler
# Raffles are kept in /data (a volume). Stop with `docker stop` (SIGTERM): screens are told the
# server is restarting and come back by themselves. GET /healthz answers 200 while the database
# takes writes (the image has no curl: probe it from the orchestrator).

FROM node:22-bookworm AS build
# Rust from the official image (same Debian release, so the same glibc as the run stage).
COPY --from=rust:1.95-bookworm /usr/local/cargo /usr/local/cargo
COPY --from=rust:1.95-bookworm /usr/local/rustup /usr/local/rustup
ENV CARGO_HOME=/usr/local/cargo RUSTUP_HOME=/usr/local/rustup PATH=/usr/local/cargo/bin:$PATH \
    CARGO_INCREMENTAL=0
WORKDIR /src
# The tools first (the wasm32 target; binaryen's wasm-opt and esbuild from npm): a layer of their
# own, rebuilt only when the lock files change. No cargo-leptos: scripts/dist.sh builds with
# sitebuild/ (a workspace member, compiled in the next step with the rest).
COPY scripts/tools.sh scripts/tools.sh
COPY Cargo.lock Cargo.lock
COPY end2end/package.json end2end/package-lock.json end2end/
RUN bash -c 'source scripts/tools.sh'
COPY . .
RUN scripts/dist.sh

FROM debian:bookworm-slim
RUN useradd --system --home-dir /data --create-home raffler
COPY --from=build /src/target/dist/raffler /opt/raffler
USER raffler
WORKDIR /data
ENV RAFFLER_LISTEN=0.0.0.0:3000 RAFFLER_DATABASE=/data/raffler.db
VOLUME /data
EXPOSE 3000
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/raffler/raffler"]
