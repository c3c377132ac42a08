//! Flushing the task log when Storm stops the task with SIGTERM (or SIGINT).
//!
//! The supervisor and `sparse run` end tasks with SIGTERM. The default action would lose
//! buffered log records, so a dedicated thread waits for the signal (it is blocked in
//! every other thread), flushes the log and exits with 128 + the signal number.

use crate::logging::LogHandle;

/// Starts the signal thread. Call once, before the component starts threads of its own.
pub fn flush_on_termination(log: &'static LogHandle) {
    // SAFETY: signal-mask manipulation with valid, initialised sets.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return;
        }
        let set_for_thread = set;
        let spawned = std::thread::Builder::new()
            .name("sparse-signals".into())
            .spawn(move || {
                let mut sig: libc::c_int = 0;
                if libc::sigwait(&set_for_thread, &mut sig) == 0 {
                    log::info!("received signal {sig}: stopping");
                    log.flush();
                    libc::_exit(128 + sig);
                }
            });
        if spawned.is_err() {
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }
}
