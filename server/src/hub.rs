//! The registry of running raffles, by join code. Several raffles run at once; each lives in
//! its own task, so one raffle's players never reach another's. Codes and tokens come from
//! `ids.rs`.

use crate::ids::{new_code, new_token};
use crate::outbox::Outbox;
use crate::raffle_task::{self, RaffleHandle, TaskEnv};
use crate::store::SavedRaffle;
use raffler_core::protocol::normalize_code;
use raffler_core::raffle;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};

#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    /// A std mutex: it guards only map look-ups and is never held across an `.await`.
    codes: Mutex<Codes>,
    settings: raffle::RaffleSettings,
    public_url: String,
    max_raffles: usize,
    env: TaskEnv,
}

struct Codes {
    running: HashMap<String, RaffleHandle>,
    /// Codes of closed raffles whose data is still kept: not given out again until purged.
    closed: HashSet<String>,
}

impl Hub {
    /// A hub that runs the raffles the database held open, and knows which codes are taken.
    pub fn new(
        settings: raffle::RaffleSettings,
        public_url: String,
        max_raffles: usize,
        env: TaskEnv,
        open_raffles: Vec<SavedRaffle>,
        taken_codes: HashSet<String>,
    ) -> Self {
        let codes = Mutex::new(Codes { running: HashMap::new(), closed: taken_codes });
        let hub = Self { inner: Arc::new(Inner { codes, settings, public_url, max_raffles, env }) };
        let mut codes = hub.lock();
        for saved in open_raffles {
            let code = saved.code.clone();
            let handle = raffle_task::restore(
                saved,
                hub.join_url(&code),
                settings,
                hub.inner.env.clone(),
                hub.on_close(&code),
            );
            codes.closed.remove(&code);
            codes.running.insert(code, handle);
        }
        drop(codes);
        hub
    }

    /// Starts a raffle with `host` as its host connection and returns its code; `None` when the
    /// server already runs as many raffles as it may.
    pub fn start_raffle(&self, host_conn: u64, host: Outbox) -> Option<(String, RaffleHandle)> {
        let mut codes = self.lock();
        if codes.running.values().filter(|r| !r.has_ended()).count() >= self.inner.max_raffles {
            return None;
        }
        let code = loop {
            let code = new_code();
            if !codes.running.contains_key(&code) && !codes.closed.contains(&code) {
                break code;
            }
        };
        let handle = raffle_task::spawn(
            raffle_task::Start {
                code: code.clone(),
                join_url: self.join_url(&code),
                settings: self.inner.settings,
                host_token: new_token(),
                host_conn,
                host,
            },
            self.inner.env.clone(),
            self.on_close(&code),
        );
        codes.running.insert(code.clone(), handle.clone());
        Some((code, handle))
    }

    /// Codes of purged raffles may be given out again.
    pub fn release(&self, purged: &[String]) {
        let mut codes = self.lock();
        for code in purged {
            codes.closed.remove(code);
        }
    }

    /// Moves a closed raffle's code from running to kept. A weak reference: the hub owns the
    /// tasks' handles, so the tasks must not own the hub.
    fn on_close(&self, code: &str) -> raffle_task::OnClose {
        let (hub, code) = (Arc::downgrade(&self.inner), code.to_owned());
        Box::new(move || {
            if let Some(inner) = Weak::upgrade(&hub) {
                let mut codes = inner.codes.lock().expect("raffle registry lock poisoned");
                codes.running.remove(&code);
                codes.closed.insert(code);
            }
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Codes> {
        self.inner.codes.lock().expect("raffle registry lock poisoned")
    }

    /// The running raffle with this code as a person typed it, and its code as written.
    pub fn find(&self, typed: &str) -> Option<(String, RaffleHandle)> {
        let code = normalize_code(typed);
        self.lock().running.get(&code).map(|handle| (code, handle.clone()))
    }

    pub fn join_url(&self, code: &str) -> String {
        format!("{}/join/{code}", self.inner.public_url)
    }

    /// The address that pairs a phone as a remote of raffle `code` with the one-time `link`.
    pub fn remote_url(&self, code: &str, link: &str) -> String {
        format!("{}/remote/{code}?pair={link}", self.inner.public_url)
    }
}
