//! The raffler binary: read settings, bind, print where to go, serve until Ctrl-C.

use anyhow::Context;
use clap::Parser;
use server::{config::Config, Settings};
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
    let listen = config.listen_addr();
    let listener = bind(listen)
        .with_context(|| format!("cannot listen on {listen} (set RAFFLER_LISTEN or --listen)"))?;
    let port = listener.local_addr()?.port();
    let public_url = config.public_url.clone().unwrap_or_else(|| lan_url(listen, port));
    let leptos = leptos::config::get_configuration(None)
        .map(|conf| conf.leptos_options)
        // Run outside cargo-leptos (e.g. `cargo run`): assets are where cargo-leptos puts them.
        .unwrap_or_else(|_| leptos::config::LeptosOptions::builder().output_name("raffler").build());

    println!();
    println!("  Raffler is running.");
    println!("  Host screen (this machine): http://localhost:{port}/");
    println!("  Phones join at:             {}/join", public_url.trim_end_matches('/'));
    println!();

    let settings = Settings::from_config(&config, public_url, leptos);
    server::run(listener, settings, shutdown_signal()).await?;
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

async fn shutdown_signal() {
    // If the handler cannot be installed, run until killed rather than stop at once.
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
