//! Keeping stdout for the protocol.
//!
//! Every plugin has its own buffered `Stdout` on fd 1, so one `println!` in a component
//! would corrupt the framing. Before any plugin is loaded, the host duplicates fd 1 to a
//! private, close-on-exec descriptor for the protocol and points fd 1 at stderr, where
//! stray prints become harmless log lines.
//!
//! The host's own diagnostics go to stderr through [`warn_stderr!`](crate::warn_stderr),
//! which never panics: Storm closes the pipe at shutdown, and `eprintln!` would then turn
//! a clean exit into a panic with exit code 101.

use std::fs::File;
use std::io;
use std::os::fd::FromRawFd;

/// Moves the protocol stream off fd 1; returns it as a `File`.
pub fn take_stdout_for_protocol() -> io::Result<File> {
    // SAFETY: plain descriptor calls; the new fd is owned by the returned File.
    unsafe {
        let fd = libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::dup2(2, 1) < 0 {
            let e = io::Error::last_os_error();
            libc::close(fd);
            return Err(e);
        }
        Ok(File::from_raw_fd(fd))
    }
}

/// Writes one line to stderr, ignoring errors (a closed or full stderr must not change
/// what the host does or its exit code). Use [`warn_stderr!`](crate::warn_stderr).
pub fn stderr_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut err = io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

/// `eprintln!` that cannot panic: see [`stderr_line`].
#[macro_export]
macro_rules! warn_stderr {
    ($($arg:tt)*) => {
        $crate::stdio::stderr_line(format_args!($($arg)*))
    };
}
