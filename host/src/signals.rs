//! Flushing the task log when Storm stops the task with SIGTERM (or SIGINT).
//!
//! The supervisor and `sparse run` end tasks with SIGTERM, whose default action would lose
//! buffered log records. `signal-hook` installs an async-signal-safe handler that only
//! writes to a pipe; a dedicated thread reads it, flushes the log and exits with
//! 128 + the signal number. No signal mask is changed, so processes a component starts
//! inherit the usual dispositions.

use crate::logging::LogHandle;

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
                log::info!("received signal {sig}: stopping");
                log.flush();
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
