//! Forwarding the plugin's `log` records to the host.
//!
//! A `cdylib` has its own copy of the `log` crate's statics, so `log::info!` inside a
//! plugin would go nowhere. The first instance created installs [`Forwarder`] as the
//! plugin's logger and sets the plugin's max level from the host, so disabled records cost
//! one comparison and are never formatted. Each record goes to the host instance whose
//! call is running on this thread, or, from a thread of the component's own, to the most
//! recently created instance.

use std::cell::{Cell, RefCell};
use std::fmt::Write;
use std::sync::Mutex;

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::host_api::HostHandle;

thread_local! {
    static CURRENT: Cell<Option<HostHandle>> = const { Cell::new(None) };
    static BUF: RefCell<String> = const { RefCell::new(String::new()) };
}

static FALLBACK: Mutex<Option<HostHandle>> = Mutex::new(None);
static FORWARDER: Forwarder = Forwarder;

/// The plugin-side `log::Log` that sends records through the ABI.
struct Forwarder;

impl Log for Forwarder {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let host = CURRENT
            .with(Cell::get)
            .or_else(|| *FALLBACK.lock().unwrap_or_else(|e| e.into_inner()));
        let Some(host) = host else { return };
        BUF.with(|b| {
            // A record logged while formatting another one (a Display impl that logs)
            // finds the buffer borrowed: format it into a fresh string instead.
            let mut fresh = String::new();
            let mut guard = b.try_borrow_mut();
            let buf = match guard {
                Ok(ref mut g) => &mut **g,
                Err(_) => &mut fresh,
            };
            buf.clear();
            let _ = write!(buf, "{}", record.args());
            host.log(level_to_abi(record.level()), record.target(), buf);
        });
    }

    fn flush(&self) {}
}

/// `log::Level` → the ABI's `LEVEL_*`.
pub(crate) fn level_to_abi(level: Level) -> u32 {
    level as u32
}

/// The ABI's `LEVEL_*` (0 = off) → `log::LevelFilter`.
pub(crate) fn abi_to_filter(level: u32) -> LevelFilter {
    match level {
        0 => LevelFilter::Off,
        1 => LevelFilter::Error,
        2 => LevelFilter::Warn,
        3 => LevelFilter::Info,
        4 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    }
}

/// Installs the forwarder (once per plugin) and adopts the host's level.
pub(crate) fn install(host: HostHandle) {
    let _ = log::set_logger(&FORWARDER);
    let level = abi_to_filter(host.max_log_level());
    if level > log::max_level() || FALLBACK.lock().map(|g| g.is_none()).unwrap_or(true) {
        log::set_max_level(level);
    }
    *FALLBACK.lock().unwrap_or_else(|e| e.into_inner()) = Some(host);
}

/// Routes this thread's records to `host` until the guard is dropped.
pub(crate) fn enter(host: HostHandle) -> Scope {
    Scope {
        previous: CURRENT.with(|c| c.replace(Some(host))),
    }
}

/// Restores the previous routing when dropped.
pub(crate) struct Scope {
    previous: Option<HostHandle>,
}

impl Drop for Scope {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.previous));
    }
}
