//! The [`Bolt`] trait and the rules the plugin applies around it.
//!
//! For every input tuple the driver calls [`Bolt::process`], then, as in streamparse:
//!
//! * `AUTO_ANCHOR` (default on): emits without explicit anchors are anchored to the input;
//! * `AUTO_ACK` (default on): the input is acked after `process` returns `Ok`, unless the
//!   bolt acked or failed it itself;
//! * `AUTO_FAIL` (default on): if `process` returns `Err` or panics, the input is failed
//!   (unless already handled); in every case the error is reported to Storm (the `error`
//!   command), logged, and the host ends the task with a non-zero exit code.
//!
//! Tick tuples go to [`Bolt::process_tick`] and are always acked afterwards.
//!
//! A bolt that keeps tuples past `process` (with [`Tuple::into_owned`]) to ack them later
//! must set `AUTO_ACK = false`: auto-ack cannot see the kept copy and would ack it now.
//!
//! ```
//! use plugin_api::{Bolt, BoltOutput, Context, StreamDecl, Tuple, fields};
//!
//! /// Upper-cases the first value.
//! struct Shout;
//!
//! impl Bolt for Shout {
//!     const OUTPUTS: &'static [StreamDecl] = &[fields(&["loud"])];
//!
//!     fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
//!         Ok(Shout)
//!     }
//!
//!     fn process(&mut self, tuple: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
//!         let text: &str = tuple.get(0)?;
//!         out.emit(&[text.to_uppercase()])?;
//!         Ok(()) // acked for us
//!     }
//! }
//! ```

use std::ffi::c_void;

use crate::abi::{STATUS_INVALID, STATUS_OK, TupleV1};
use crate::context::Context;
use crate::declare::StreamDecl;
use crate::driver::{self, guarded};
use crate::output::{BoltOutput, Core};
use crate::tuple::Tuple;

/// A bolt: consumes tuples, may emit, acks or fails each input.
pub trait Bolt: Sized + 'static {
    /// Declared output streams (the topology file declares them for Storm too).
    const OUTPUTS: &'static [StreamDecl] = &[];
    /// Ack each input after `process` returns `Ok`.
    const AUTO_ACK: bool = true;
    /// Anchor emits to the current input unless the emit names its anchors.
    const AUTO_ANCHOR: bool = true;
    /// Fail the current input when `process` returns `Err` or panics.
    const AUTO_FAIL: bool = true;

    /// Creates the bolt when the task starts (streamparse's `initialize`).
    fn initialize(ctx: &Context) -> crate::Result<Self>;

    /// Processes one input tuple.
    fn process(&mut self, tuple: Tuple<'_>, out: &mut BoltOutput<'_>) -> crate::Result;

    /// Handles a tick tuple (`topology.tick.tuple.freq.secs`); the tick is acked after.
    fn process_tick(&mut self, tick: &Tuple<'_>, out: &mut BoltOutput<'_>) -> crate::Result {
        let _ = (tick, out);
        Ok(())
    }
}

pub(crate) unsafe fn borrow_tuple<'a>(t: *const TupleV1) -> Option<Tuple<'a>> {
    if t.is_null() {
        return None;
    }
    // SAFETY: the host passes a valid tuple, borrowed for the call.
    unsafe {
        let t = &*t;
        Some(Tuple::new(
            t.id.as_str(),
            t.component.as_str(),
            t.stream.as_str(),
            t.task,
            t.values.as_str(),
        ))
    }
}

pub(crate) unsafe extern "C" fn process<B: Bolt>(inst: *mut c_void, t: *const TupleV1) -> i32 {
    // SAFETY: the host passes what `create::<B>` returned and a valid tuple.
    let (Some(inst), Some(tuple)) = (unsafe { driver::instance::<B>(inst) }, unsafe {
        borrow_tuple(t)
    }) else {
        return STATUS_INVALID;
    };
    // SAFETY: non-null (checked by borrow_tuple).
    let id_raw = unsafe { (*t).id };
    let anchor = [id_raw];
    // SAFETY: borrowed for the call.
    let id = unsafe { id_raw.as_str() };
    let host = inst.host;
    let mut out = BoltOutput {
        core: Core {
            host,
            buf: &mut inst.buf,
            emitted: 0,
        },
        auto_anchors: if B::AUTO_ANCHOR { &anchor } else { &[] },
        current: Some(id),
        current_handled: false,
    };
    let user = &mut inst.user;
    let result = guarded(host, || user.process(tuple, &mut out));
    let handled = out.current_handled;
    match result {
        Ok(()) => {
            if B::AUTO_ACK && !handled {
                host.ack(id);
            }
            STATUS_OK
        }
        Err(f) => {
            // SAFETY: `t` is still valid; the first view was moved into `process`.
            let what = unsafe { borrow_tuple(t) }
                .map(|t| describe(&t))
                .unwrap_or_default();
            let status = driver::report(inst, &format!("failed to process {what}"), &f);
            if B::AUTO_FAIL && !handled {
                host.fail(id);
            }
            status
        }
    }
}

pub(crate) unsafe extern "C" fn tick<B: Bolt>(inst: *mut c_void, t: *const TupleV1) -> i32 {
    // SAFETY: as in `process`.
    let (Some(inst), Some(tuple)) = (unsafe { driver::instance::<B>(inst) }, unsafe {
        borrow_tuple(t)
    }) else {
        return STATUS_INVALID;
    };
    let host = inst.host;
    let mut out = BoltOutput {
        core: Core {
            host,
            buf: &mut inst.buf,
            emitted: 0,
        },
        auto_anchors: &[],
        current: None,
        current_handled: false,
    };
    let user = &mut inst.user;
    let result = guarded(host, || user.process_tick(&tuple, &mut out));
    match result {
        Ok(()) => {
            host.ack(tuple.id_json());
            STATUS_OK
        }
        Err(f) => {
            let status = driver::report(inst, "failed to process a tick tuple", &f);
            host.fail(tuple.id_json());
            status
        }
    }
}

/// `tuple <id> from <component>:<stream> (task N) [values…]` for error messages: the
/// values cut to a bounded preview, so a huge tuple cannot flood the log.
pub(crate) fn describe(t: &Tuple<'_>) -> String {
    const PREVIEW: usize = 200;
    let values = t.values_json();
    let mut end = values.len().min(PREVIEW);
    while !values.is_char_boundary(end) {
        end -= 1;
    }
    let more = if end < values.len() { "…" } else { "" };
    format!(
        "tuple {} from {}:{} (task {}) {}{more}",
        t.id(),
        t.component(),
        t.stream(),
        t.task(),
        &values[..end]
    )
}
