//! The limits that keep a hostile room from breaking a raffle: rate limits (governor, not
//! hand-written counters), connections per address, and the Origin check. Each limit is a
//! setting; docs/security.md says what each one defends against.

use governor::{
    clock::{Clock, DefaultClock},
    DefaultKeyedRateLimiter, Quota, RateLimiter,
};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
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
    /// Origins (scheme://host[:port]) whose pages may open a WebSocket, besides this server's own.
    pub allowed_origins: Vec<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            wrong_codes_per_minute: 300,
            raffles_per_hour: 30,
            frames_per_second: 10,
            max_raffles: 1_000,
            max_connections_per_ip: 4_000,
            allowed_origins: Vec::new(),
        }
    }
}

pub struct Guards {
    limits: Limits,
    wrong_codes: DefaultKeyedRateLimiter<IpAddr>,
    /// Addresses that used up their wrong-code allowance, until when. While blocked, an address
    /// may not try any code: otherwise its next lucky guess would still get in.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    raffle_starts: DefaultKeyedRateLimiter<IpAddr>,
    connections: Arc<Mutex<HashMap<IpAddr, usize>>>,
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
    pub fn new(limits: Limits) -> Self {
        Self {
            wrong_codes: keyed(per(limits.wrong_codes_per_minute, Duration::from_secs(60))),
            raffle_starts: keyed(per(limits.raffles_per_hour, Duration::from_secs(3_600))),
            blocked: Mutex::new(HashMap::new()),
            connections: Arc::new(Mutex::new(HashMap::new())),
            limits,
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// `Err(retry after)` while this address may not try codes.
    pub fn may_try_codes(&self, ip: IpAddr) -> Result<(), Duration> {
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
        self.wrong_codes.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(clock().now());
            let mut blocked = self.blocked.lock().expect("guard lock poisoned");
            blocked.retain(|_, until| *until > Instant::now());
            blocked.insert(ip, Instant::now() + wait);
            wait
        })
    }

    /// Counts a raffle started from this address; `Err(retry after)` when over.
    pub fn start_raffle(&self, ip: IpAddr) -> Result<(), Duration> {
        self.raffle_starts.check_key(&ip).map_err(|not_until| not_until.wait_time_from(clock().now()))
    }

    /// Counts an open connection from `ip` for as long as the returned ticket lives; `None`
    /// when that address already has as many as allowed.
    pub fn connect(&self, ip: IpAddr) -> Option<ConnectionTicket> {
        let mut connections = self.connections.lock().expect("guard lock poisoned");
        let open = connections.entry(ip).or_default();
        if *open >= self.limits.max_connections_per_ip {
            return None;
        }
        *open += 1;
        Some(ConnectionTicket { ip, connections: self.connections.clone() })
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

/// An open connection, counted against its address until dropped.
pub struct ConnectionTicket {
    ip: IpAddr,
    connections: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for ConnectionTicket {
    fn drop(&mut self) {
        let mut connections = self.connections.lock().expect("guard lock poisoned");
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
        Guards::new(Limits {
            allowed_origins: vec!["https://raffle.example.org".into()],
            ..Limits::default()
        })
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
        let g = Guards::new(Limits { wrong_codes_per_minute: 2, ..Limits::default() });
        let ip = IpAddr::from([10, 0, 0, 1]);
        assert!(g.wrong_code(ip).is_ok() && g.wrong_code(ip).is_ok());
        let wait = g.wrong_code(ip).unwrap_err();
        assert!(wait > Duration::from_secs(1) && wait <= Duration::from_secs(30), "{wait:?}");
        assert!(g.may_try_codes(ip).is_err());
        assert!(g.may_try_codes(IpAddr::from([10, 0, 0, 2])).is_ok(), "other addresses are not affected");
    }

    #[test]
    fn connections_are_counted_per_address_until_closed() {
        let g = Guards::new(Limits { max_connections_per_ip: 2, ..Limits::default() });
        let ip = IpAddr::from([10, 0, 0, 1]);
        let (a, _b) = (g.connect(ip).unwrap(), g.connect(ip).unwrap());
        assert!(g.connect(ip).is_none());
        drop(a);
        assert!(g.connect(ip).is_some());
    }
}
