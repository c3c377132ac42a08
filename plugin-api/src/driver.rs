//! What every component kind shares on the plugin side of the ABI: creating and
//! destroying instances, and running user code under `catch_unwind` with the plugin's
//! log records routed to the right host.
//!
//! The per-kind rules (auto-ack, ticks, batching, spout commands) live next to their
//! traits in `bolt`, `batching` and `spout`. The test kit drives the very same functions.

use std::any::Any;
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::abi::{HostApiV1, STATUS_ERROR, STATUS_INVALID, STATUS_OK, STATUS_PANIC, SpStr};
use crate::context::Context;
use crate::host_api::HostHandle;
use crate::{Error, logger};

/// A live component instance, as the opaque pointer the host holds.
pub(crate) struct Instance<C> {
    pub(crate) user: C,
    pub(crate) host: HostHandle,
    pub(crate) name: &'static str,
    pub(crate) buf: Vec<u8>,
    pub(crate) id_buf: Vec<u8>,
    pub(crate) poisoned: bool,
}

/// User code failed: returned `Err` or panicked.
pub(crate) struct Failure {
    pub(crate) message: String,
    pub(crate) panicked: bool,
}

impl Failure {
    pub(crate) fn status(&self) -> i32 {
        if self.panicked {
            STATUS_PANIC
        } else {
            STATUS_ERROR
        }
    }
}

/// Runs user code with panics caught and log records routed to `host`.
pub(crate) fn guarded<R>(
    host: HostHandle,
    f: impl FnOnce() -> Result<R, Error>,
) -> Result<R, Failure> {
    let _scope = logger::enter(host);
    install_panic_hook();
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(Failure {
            message: error_chain(&*e),
            panicked: false,
        }),
        Err(payload) => {
            let at = PANIC_AT
                .with(|p| p.take())
                .map(|at| format!(" at {at}"))
                .unwrap_or_default();
            Err(Failure {
                message: format!("panicked{at}: {}", panic_message(&*payload)),
                panicked: true,
            })
        }
    }
}

thread_local! {
    /// `file:line:col` of the last panic on this thread, for the error report.
    static PANIC_AT: std::cell::Cell<Option<String>> = const { std::cell::Cell::new(None) };
}

/// Records where panics happen, so the error the host logs and reports to Storm says
/// `panicked at src/lib.rs:42:9: …`, not only the message. A plugin has its own copy of
/// std and so its own hook; the previous hook still runs (it prints to stderr).
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Some(loc) = info.location() {
                let at = format!("{}:{}:{}", loc.file(), loc.line(), loc.column());
                PANIC_AT.with(|p| p.set(Some(at)));
            }
            previous(info);
        }));
    });
}

/// Writes one line to stderr, ignoring errors: `eprintln!` panics when Storm has closed
/// the pipe, and that must not change what the component does.
pub(crate) fn stderr_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

/// `error: cause: cause…`.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a non-string panic payload)".to_owned()
    }
}

/// Reports a failure of `what` to the host and marks the instance when it panicked.
pub(crate) fn report<C>(inst: &mut Instance<C>, what: &str, failure: &Failure) -> i32 {
    inst.host
        .report_error(&format!("{} {what}: {}", inst.name, failure.message));
    if failure.panicked {
        inst.poisoned = true;
    }
    failure.status()
}

/// The shared body of every `create` entry point.
///
/// # Safety
/// Pointers as documented on [`crate::abi::CreateFn`].
pub(crate) unsafe fn create<C>(
    name: &'static str,
    host: *const HostApiV1,
    ctx: *mut c_void,
    conf: SpStr,
    context: SpStr,
    out: *mut *mut c_void,
    make: impl FnOnce(&Context) -> Result<C, Error>,
) -> i32 {
    if let Err(msg) = HostHandle::check(host) {
        stderr_line(format_args!("{name}: {msg}"));
        return STATUS_INVALID;
    }
    // SAFETY: checked just above; the host keeps the table alive.
    let handle = unsafe { HostHandle::new(host, ctx) };
    if out.is_null() {
        handle.report_error(&format!("{name}: create called without an output pointer"));
        return STATUS_INVALID;
    }
    logger::install(handle);
    // SAFETY: borrowed UTF-8 for the duration of the call.
    let (conf, context) = unsafe { (conf.as_str(), context.as_str()) };
    let ctx = match Context::from_json(conf, context) {
        Ok(c) => c,
        Err(e) => {
            handle.report_error(&format!(
                "{name}: the handshake conf/context is not valid JSON: {e}"
            ));
            return STATUS_INVALID;
        }
    };
    match guarded(handle, || make(&ctx)) {
        Ok(user) => {
            let inst = Box::new(Instance {
                user,
                host: handle,
                name,
                buf: Vec::with_capacity(256),
                id_buf: Vec::new(),
                poisoned: false,
            });
            // SAFETY: checked non-null above.
            unsafe { *out = Box::into_raw(inst) as *mut c_void };
            STATUS_OK
        }
        Err(f) => {
            handle.report_error(&format!("{name} initialize: {}", f.message));
            f.status()
        }
    }
}

/// The shared `destroy`: drops the instance (user `Drop` impls run, panics contained).
///
/// # Safety
/// `inst` must come from `create::<C>` and not be used afterwards.
pub(crate) unsafe extern "C" fn destroy<C>(inst: *mut c_void) {
    if inst.is_null() {
        return;
    }
    // SAFETY: created by Box::into_raw in `create`.
    let boxed = unsafe { Box::from_raw(inst as *mut Instance<C>) };
    let _ = catch_unwind(AssertUnwindSafe(move || drop(boxed)));
}

/// Borrows a live instance, or `None` for null or poisoned ones.
///
/// # Safety
/// `inst` must be null or come from `create::<C>`.
pub(crate) unsafe fn instance<'a, C>(inst: *mut c_void) -> Option<&'a mut Instance<C>> {
    if inst.is_null() {
        return None;
    }
    // SAFETY: see above; the host uses one instance from one thread at a time.
    let inst = unsafe { &mut *(inst as *mut Instance<C>) };
    if inst.poisoned {
        inst.host
            .report_error(&format!("{} was called again after it panicked", inst.name));
        return None;
    }
    Some(inst)
}
