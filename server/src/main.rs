//! The raffler binary: read settings, open the database, bind, print where to go, serve until
//! Ctrl-C or SIGTERM.

use anyhow::Context;
use clap::Parser;
use server::{config::Config, Server, Settings};
use std::net::{IpAddr, SocketAddr};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,server=info".into()),
        )
        .init();
    let config = Config::parse();
    // One file per connection: a shell or a systemd unit gives 1,024, a room needs thousands.
    match server::raise_open_file_limit() {
        Ok(files) => match files.raised_from {
            Some(before) => tracing::info!("open files: raised the limit from {before} to {}", files.soft),
            None => tracing::info!("open files: the limit is {} (hard limit {})", files.soft, files.hard),
        },
        Err(err) => tracing::warn!(%err, "open files: could not read or raise the limit"),
    }
    let listen = config.listen_addr();
    let listener = bind(listen)
        .with_context(|| format!("cannot listen on {listen} (set RAFFLER_LISTEN or --listen)"))?;
    let port = listener.local_addr()?.port();
    let public_url = config.public_url.clone().unwrap_or_else(|| lan_url(listen, port));
    // Under cargo-leptos its LEPTOS_* variables say where the site is; run on its own (systemd,
    // a container, the deploy artifact) the binary finds its site beside itself, in production
    // mode, whatever the working directory.
    let site = server::site::locate();
    match &site.found {
        server::site::Found::CargoLeptos => {}
        server::site::Found::BesideBinary => tracing::info!(
            site = %site.options.site_root,
            hashed_names = site.options.hash_files,
            "serving the site found beside the binary"
        ),
        server::site::Found::Missing { looked_in } => tracing::error!(
            ?looked_in,
            "no site files (pkg/) beside the binary: pages will load but never come alive; \
             build with scripts/build.sh or deploy the artifact of scripts/dist.sh"
        ),
    }
    let leptos = site.options;

    let settings = Settings::from_config(&config, public_url.clone(), leptos)?;
    let database = settings.database.clone();
    let server = tokio::task::spawn_blocking(move || Server::open(settings))
        .await?
        .with_context(|| format!("cannot use the database {}", database.display()))?;

    println!();
    println!("  Raffler is running.");
    println!("  Host screen (this machine): http://localhost:{port}/");
    println!("  Phones join at:             {}/join", public_url.trim_end_matches('/'));
    println!("  Raffles are kept in:        {} ({} open)", database.display(), server.raffles_restored());
    match server.beacon_relays() {
        Some(relays) => println!("  Draws wait for drand from:  {}", relays.join(", ")),
        None => println!("  Draws use the seed alone:   beacon off (RAFFLER_BEACON_RELAYS=off)"),
    }
    println!();

    server.serve(listener, shutdown_signal()).await?;
    Ok(())
}

/// A room joining at once is a burst of thousands of connections: a listen backlog of 4,096
/// (tokio's default is 1,024; the kernel caps it at net.core.somaxconn) keeps them from being
/// dropped and retried a second later.
fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    const BACKLOG: i32 = 4_096;
    let socket = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    tokio::net::TcpListener::from_std(socket.into())
}

/// The URL a phone on the same network can open: this machine's LAN address, unless the
/// server listens on one address only.
fn lan_url(listen: SocketAddr, port: u16) -> String {
    let ip = if listen.ip().is_unspecified() {
        local_ip_address::local_ip().unwrap_or(IpAddr::from([127, 0, 0, 1]))
    } else {
        listen.ip()
    };
    match ip {
        IpAddr::V6(v6) => format!("http://[{v6}]:{port}"),
        IpAddr::V4(v4) => format!("http://{v4}:{port}"),
    }
}

/// Ctrl-C or SIGTERM (what `systemctl stop`, `docker stop` and Kubernetes send).
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            // If the handler cannot be installed, run until killed rather than stop at once.
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
