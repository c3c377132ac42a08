//! Flushing the task log when Storm stops the task with SIGTERM (or SIGINT).
//!
//! The supervisor and `sparse run` end tasks with SIGTERM, whose default action would lose
//! buffered log records. `signal-hook` installs an async-signal-safe handler that only
//! writes to a pipe; a dedicated thread reads it, flushes the log (waiting at most
//! [`FLUSH_GRACE`]) and exits with 128 + the signal number. No signal mask is changed, so processes a component starts
//! inherit the usual dispositions.

use std::time::Duration;

use crate::logging::LogHandle;

/// How long the log may take to flush after SIGTERM before the task exits anyway.
pub const FLUSH_GRACE: Duration = Duration::from_millis(700);

/// Starts the signal thread. Call once, after logging is set up.
pub fn flush_on_termination(log: &'static LogHandle) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGINT]) else {
        log::warn!("cannot watch for SIGTERM: the log may lose its last records on termination");
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("sparse-signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                // Flush on another thread and give it a bounded time: the logger's lock may
                // be held by a write stuck on a full or remote disk, and the task must end
                // anyway (Storm kills it with SIGKILL a little later otherwise).
                within(FLUSH_GRACE, move || {
                    log::info!("received signal {sig}: stopping");
                    log.flush();
                });
                // SAFETY: ends the process at once, as the default action would have.
                unsafe { libc::_exit(128 + sig) };
            }
        });
    if spawned.is_err() {
        log::warn!(
            "cannot start the signal thread: the log may lose its last records on termination"
        );
    }
}

/// Runs `f` on its own thread and waits for it at most `grace`; true when it finished.
fn within(grace: Duration, f: impl FnOnce() + Send + 'static) -> bool {
    let (done, finished) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("sparse-flush".into())
        .spawn(move || {
            f();
            let _ = done.send(());
        });
    spawned.is_ok() && finished.recv_timeout(grace).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stuck_flush_does_not_hold_the_exit() {
        // A flush blocked forever (a lock held by a write that never returns).
        let (_keep, never) = std::sync::mpsc::channel::<()>();
        assert!(!within(Duration::from_millis(50), move || {
            let _ = never.recv();
        }));
        assert!(within(Duration::from_secs(60), || {}));
    }
}
