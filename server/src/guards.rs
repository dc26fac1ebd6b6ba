//! The limits that keep a hostile room from breaking a raffle: rate limits (governor, not
//! hand-written counters), connections per address and in all, and the Origin check. Each limit
//! is a setting; docs/security.md says what each one defends against.
//!
//! Addresses are keyed by [`address_key`]: an IPv6 client owns a whole /64 (it can pick any
//! address in it), so the /64 is what is counted. The per-address maps are pruned by
//! [`Guards::prune`] (every minute): an address seen once is not remembered for ever.
//!
//! Longer than 400 lines with its unit tests (about 130); the code itself is one concept, the
//! limits, and under 300.

use governor::{
    clock::{Clock, DefaultClock},
    DefaultKeyedRateLimiter, Quota, RateLimiter,
};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

/// Every limit, with defaults that let a real room of 2,000 behind one NAT address join within a
/// minute (conference Wi-Fi puts everyone behind one address).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Join or resume attempts with a code no raffle has, per client address per minute. The
    /// code space (31^6) makes guessing hopeless at this rate.
    pub wrong_codes_per_minute: u32,
    /// Raffles started per client address per hour.
    pub raffles_per_hour: u32,
    /// Frames one connection may send per second (bursts of three seconds' worth are fine).
    pub frames_per_second: u32,
    /// Raffles running on this server at once.
    pub max_raffles: usize,
    /// Open WebSockets per client address.
    pub max_connections_per_ip: usize,
    /// Join attempts per client address per minute (bursts of a whole minute's worth at once).
    /// Resumes never count: a hall reconnecting after a Wi-Fi drop is not a flood.
    pub joins_per_minute: u32,
    /// Open WebSockets in all; `None`: as many as the open-file limit leaves room for (see
    /// `connections::websocket_budget`).
    pub max_connections: Option<usize>,
    /// Connections that are not (yet) WebSockets: page loads, and sockets that say nothing.
    /// When full, the one idle longest is closed to make room; never a cap per address.
    pub max_pending_connections: usize,
    /// A request's head (request line and headers) must arrive within this.
    pub header_timeout: Duration,
    /// A connection that is not a WebSocket and reads and writes nothing for this long is
    /// closed: a silent socket, or a browser's idle keep-alive connection.
    pub idle_timeout: Duration,
    /// Origins (scheme://host[:port]) whose pages may open a WebSocket, besides this server's own.
    pub allowed_origins: Vec<String>,
}

impl Limits {
    /// The defaults: the one place they are written (the flags in `config.rs` take theirs from
    /// here, and tests build on `Limits::default()`).
    pub const DEFAULT: Limits = Limits {
        wrong_codes_per_minute: 300,
        raffles_per_hour: 30,
        frames_per_second: 10,
        max_raffles: 1_000,
        max_connections_per_ip: 4_000,
        joins_per_minute: 3_000,
        max_connections: None,
        max_pending_connections: 1_024,
        header_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(20),
        allowed_origins: Vec::new(),
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

pub struct Guards {
    limits: Limits,
    wrong_codes: DefaultKeyedRateLimiter<IpAddr>,
    /// Addresses that used up their wrong-code allowance, until when. While blocked, an address
    /// may not try any code: otherwise its next lucky guess would still get in.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    raffle_starts: DefaultKeyedRateLimiter<IpAddr>,
    joins: DefaultKeyedRateLimiter<IpAddr>,
    connections: Arc<Mutex<HashMap<IpAddr, usize>>>,
    /// Open WebSockets in all, against `max_sockets`.
    sockets: Arc<AtomicUsize>,
    max_sockets: usize,
}

/// Why a WebSocket was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// This address already has `max_connections_per_ip`.
    TooManyFromAddress,
    /// The server has as many WebSockets as its open files allow.
    ServerFull,
}

/// The key an address is counted under: an IPv4 address as is (also when it arrives as an
/// IPv4-mapped IPv6 address, `::ffff:a.b.c.d`), an IPv6 address by its /64 (one client gets a
/// whole /64 and may use any address in it).
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

/// A per-address limiter on the shared clock, so that its "retry after" reads the same clock.
fn keyed(quota: Quota) -> DefaultKeyedRateLimiter<IpAddr> {
    RateLimiter::new(quota, Default::default(), clock().clone())
}

fn per(count: u32, period: Duration) -> Quota {
    let count = NonZeroU32::new(count.max(1)).expect("at least one");
    Quota::with_period(period / count.get()).expect("a positive period").allow_burst(count)
}

impl Guards {
    /// Guards for these limits, letting in at most `max_sockets` WebSockets at once.
    pub fn new(limits: Limits, max_sockets: usize) -> Self {
        Self {
            wrong_codes: keyed(per(limits.wrong_codes_per_minute, Duration::from_secs(60))),
            raffle_starts: keyed(per(limits.raffles_per_hour, Duration::from_secs(3_600))),
            joins: keyed(per(limits.joins_per_minute, Duration::from_secs(60))),
            blocked: Mutex::new(HashMap::new()),
            connections: Arc::new(Mutex::new(HashMap::new())),
            sockets: Arc::new(AtomicUsize::new(0)),
            max_sockets,
            limits,
        }
    }

    /// Forgets addresses whose limits are back to full, and blocks that have run out. Without
    /// it every address ever seen keeps an entry (a scan from many addresses grows memory).
    pub fn prune(&self) {
        for limiter in [&self.wrong_codes, &self.raffle_starts, &self.joins] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        let mut blocked = self.blocked.lock().expect("guard lock poisoned");
        let now = Instant::now();
        blocked.retain(|_, until| *until > now);
        blocked.shrink_to_fit();
        drop(blocked);
        self.connections.lock().expect("guard lock poisoned").shrink_to_fit();
    }

    /// How many addresses the guards remember now (for tests of [`Guards::prune`]).
    #[cfg(test)]
    pub fn addresses_remembered(&self) -> usize {
        self.wrong_codes.len()
            + self.raffle_starts.len()
            + self.joins.len()
            + self.blocked.lock().expect("guard lock poisoned").len()
    }

    /// Counts a join attempt from this address; `Err(retry after)` when over.
    pub fn join(&self, ip: IpAddr) -> Result<(), Duration> {
        let ip = address_key(ip);
        self.joins.check_key(&ip).map_err(|not_until| not_until.wait_time_from(clock().now()))
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// `Err(retry after)` while this address may not try codes.
    pub fn may_try_codes(&self, ip: IpAddr) -> Result<(), Duration> {
        let ip = address_key(ip);
        let mut blocked = self.blocked.lock().expect("guard lock poisoned");
        match blocked.get(&ip) {
            Some(until) if *until > Instant::now() => Err(*until - Instant::now()),
            Some(_) => {
                blocked.remove(&ip);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Counts an attempt with a code no raffle has; `Err(retry after)` once the address is over.
    pub fn wrong_code(&self, ip: IpAddr) -> Result<(), Duration> {
        let ip = address_key(ip);
        self.wrong_codes.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(clock().now());
            let mut blocked = self.blocked.lock().expect("guard lock poisoned");
            blocked.insert(ip, Instant::now() + wait);
            wait
        })
    }

    /// Counts a raffle started from this address; `Err(retry after)` when over.
    pub fn start_raffle(&self, ip: IpAddr) -> Result<(), Duration> {
        let ip = address_key(ip);
        self.raffle_starts.check_key(&ip).map_err(|not_until| not_until.wait_time_from(clock().now()))
    }

    /// Counts an open WebSocket from `ip` for as long as the returned ticket lives; refused
    /// when that address already has as many as allowed, or the server as many as it can hold.
    pub fn connect(&self, ip: IpAddr) -> Result<ConnectionTicket, Refused> {
        let ip = address_key(ip);
        let mut connections = self.connections.lock().expect("guard lock poisoned");
        let open = connections.entry(ip).or_default();
        if *open >= self.limits.max_connections_per_ip {
            return Err(Refused::TooManyFromAddress);
        }
        // Under the same lock as the per-address count, so the two never disagree.
        if self.sockets.load(Ordering::Relaxed) >= self.max_sockets {
            if *open == 0 {
                connections.remove(&ip);
            }
            return Err(Refused::ServerFull);
        }
        *open += 1;
        self.sockets.fetch_add(1, Ordering::Relaxed);
        Ok(ConnectionTicket { ip, connections: self.connections.clone(), sockets: self.sockets.clone() })
    }

    /// Open WebSockets now, and the most there may be.
    #[cfg(test)]
    pub fn sockets(&self) -> (usize, usize) {
        (self.sockets.load(Ordering::Relaxed), self.max_sockets)
    }

    /// Whether a page from `origin` may open a WebSocket to this server, reached as `host`.
    /// Browsers always send Origin; a request without one is not from a browser page, so there
    /// is no other site's page to hijack it.
    pub fn origin_allowed(&self, origin: Option<&str>, host: Option<&str>, public_url: &str) -> bool {
        let Some(origin) = origin else { return true };
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        let authority = origin.split_once("://").map(|(_, rest)| rest);
        if authority.is_some_and(|a| host.is_some_and(|h| a == h.to_ascii_lowercase())) {
            return true; // same origin as the page this server served
        }
        let own = public_url.trim_end_matches('/').to_ascii_lowercase();
        origin == own
            || self
                .limits
                .allowed_origins
                .iter()
                .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(&origin))
    }
}

/// How often [`Guards::prune`] runs.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Prunes the guards' per-address state every minute until `stop`.
pub async fn prune_every_minute(guards: Arc<Guards>, stop: tokio_util::sync::CancellationToken) {
    let mut every = tokio::time::interval(PRUNE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = every.tick() => guards.prune(),
        }
    }
}

/// An open connection, counted against its address until dropped.
pub struct ConnectionTicket {
    ip: IpAddr,
    connections: Arc<Mutex<HashMap<IpAddr, usize>>>,
    sockets: Arc<AtomicUsize>,
}

impl Drop for ConnectionTicket {
    fn drop(&mut self) {
        let mut connections = self.connections.lock().expect("guard lock poisoned");
        self.sockets.fetch_sub(1, Ordering::Relaxed);
        if let Some(open) = connections.get_mut(&self.ip) {
            *open -= 1;
            if *open == 0 {
                connections.remove(&self.ip);
            }
        }
    }
}

/// The clock every limiter reads. Making one calibrates it (CPUID and all): a profile of 18,000
/// joins found a fresh clock per connection costing 14 % of the server's CPU.
pub fn clock() -> &'static DefaultClock {
    static CLOCK: LazyLock<DefaultClock> = LazyLock::new(DefaultClock::default);
    &CLOCK
}

/// A connection's own frame budget.
pub fn frame_limiter(frames_per_second: u32) -> governor::DefaultDirectRateLimiter {
    let rate = NonZeroU32::new(frames_per_second.max(1)).expect("at least one");
    let quota = Quota::per_second(rate).allow_burst(rate.saturating_mul(NonZeroU32::new(3).expect("3")));
    RateLimiter::direct_with_clock(quota, clock().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guards() -> Guards {
        Guards::new(
            Limits { allowed_origins: vec!["https://raffle.example.org".into()], ..Limits::default() },
            10,
        )
    }

    #[test]
    fn only_this_servers_origins_may_open_a_socket() {
        let g = guards();
        let public = "http://192.168.1.20:3000";
        assert!(g.origin_allowed(None, Some("x"), public), "not a browser");
        assert!(
            g.origin_allowed(Some("http://localhost:3000"), Some("localhost:3000"), public),
            "same origin"
        );
        assert!(
            g.origin_allowed(Some("http://192.168.1.20:3000"), Some("10.0.0.1:3000"), public),
            "public URL"
        );
        assert!(
            g.origin_allowed(Some("https://raffle.example.org"), Some("internal:8080"), public),
            "listed"
        );
        assert!(!g.origin_allowed(Some("https://evil.example"), Some("localhost:3000"), public));
        assert!(!g.origin_allowed(Some("null"), Some("localhost:3000"), public));
        assert!(!g.origin_allowed(
            Some("http://localhost:3000.evil.example"),
            Some("localhost:3000"),
            public
        ));
    }

    #[test]
    fn an_address_over_its_wrong_codes_may_try_no_code_until_it_waits() {
        let g = Guards::new(Limits { wrong_codes_per_minute: 2, ..Limits::default() }, 10);
        let ip = IpAddr::from([10, 0, 0, 1]);
        assert!(g.wrong_code(ip).is_ok() && g.wrong_code(ip).is_ok());
        let wait = g.wrong_code(ip).unwrap_err();
        assert!(wait > Duration::from_secs(1) && wait <= Duration::from_secs(30), "{wait:?}");
        assert!(g.may_try_codes(ip).is_err());
        assert!(g.may_try_codes(IpAddr::from([10, 0, 0, 2])).is_ok(), "other addresses are not affected");
    }

    #[test]
    fn connections_are_counted_per_address_until_closed() {
        let g = Guards::new(Limits { max_connections_per_ip: 2, ..Limits::default() }, 10);
        let ip = IpAddr::from([10, 0, 0, 1]);
        let (a, _b) = (g.connect(ip).unwrap(), g.connect(ip).unwrap());
        assert_eq!(g.connect(ip).err(), Some(Refused::TooManyFromAddress));
        drop(a);
        assert!(g.connect(ip).is_ok());
    }

    #[test]
    fn websockets_are_counted_in_all_against_the_budget() {
        let g = Guards::new(Limits::default(), 2);
        let (a, _b) = (
            g.connect(IpAddr::from([10, 0, 0, 1])).unwrap(),
            g.connect(IpAddr::from([10, 0, 0, 2])).unwrap(),
        );
        assert_eq!(g.connect(IpAddr::from([10, 0, 0, 3])).err(), Some(Refused::ServerFull));
        assert_eq!(g.sockets(), (2, 2));
        assert_eq!(g.connections.lock().unwrap().len(), 2, "a refused address leaves no entry");
        drop(a);
        let _c = g.connect(IpAddr::from([10, 0, 0, 3])).expect("room again");
    }

    #[test]
    fn ipv6_counts_by_its_slash_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb:cccc:dddd:eeee".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_eq!(address_key(a), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        assert_ne!(address_key(a), address_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(address_key(mapped), IpAddr::from([192, 0, 2, 7]));
        // One /64 shares one allowance, however many addresses it uses.
        let g = Guards::new(Limits { joins_per_minute: 2, ..Limits::default() }, 10);
        assert!(g.join(a).is_ok() && g.join(b).is_ok());
        assert!(g.join("2001:db8:1:2::99".parse().unwrap()).is_err());
        assert!(g.join(other).is_ok());
        let g = Guards::new(Limits { max_connections_per_ip: 1, ..Limits::default() }, 10);
        let _held = g.connect(mapped).unwrap();
        assert!(g.connect(IpAddr::from([192, 0, 2, 7])).is_err());
    }

    #[test]
    fn joins_are_limited_per_address_with_a_minute_of_burst() {
        let g = Guards::new(Limits { joins_per_minute: 3, ..Limits::default() }, 10);
        let ip = IpAddr::from([10, 0, 0, 1]);
        for _ in 0..3 {
            assert!(g.join(ip).is_ok());
        }
        let wait = g.join(ip).unwrap_err();
        assert!(wait > Duration::from_secs(10) && wait <= Duration::from_secs(20), "{wait:?}");
        assert!(g.join(IpAddr::from([10, 0, 0, 2])).is_ok());
    }

    #[test]
    fn the_default_join_rate_lets_2000_behind_one_address_in_at_once() {
        let g = Guards::new(Limits::default(), 10);
        let nat = IpAddr::from([10, 0, 0, 1]);
        assert!((0..2_000).all(|_| g.join(nat).is_ok()));
    }

    #[test]
    fn pruning_forgets_addresses_whose_limits_are_full_again() {
        // A rate so fast that an address is back to full a millisecond later.
        let g = Guards::new(
            Limits { wrong_codes_per_minute: 60_000, joins_per_minute: 60_000, ..Limits::default() },
            10,
        );
        for i in 0..1_000u32 {
            let ip = IpAddr::from(i.to_be_bytes());
            let _ = g.wrong_code(ip);
            let _ = g.join(ip);
        }
        assert!(g.addresses_remembered() >= 2_000);
        std::thread::sleep(Duration::from_millis(50));
        g.prune();
        assert_eq!(g.addresses_remembered(), 0);
    }
}
