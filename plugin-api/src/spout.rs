//! The [`Spout`] trait and [`MessageId`].
//!
//! Storm drives a spout synchronously: `activate`, then `next_tuple` again and again,
//! with `ack`/`fail` for reliable emits as their tuple trees complete. The host answers
//! each command with `sync` after the call returns. An `Err` or a panic is reported to
//! Storm and logged, and the host ends the task with a non-zero exit code.
//!
//! ```
//! use plugin_api::{Context, MessageId, Spout, SpoutOutput, StreamDecl, fields};
//!
//! /// Counts upwards, reliably; re-emits a number when it fails.
//! struct Numbers { next: u64 }
//!
//! impl Spout for Numbers {
//!     const OUTPUTS: &'static [StreamDecl] = &[fields(&["n"])];
//!
//!     fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
//!         Ok(Numbers { next: 0 })
//!     }
//!
//!     fn next_tuple(&mut self, out: &mut SpoutOutput<'_>) -> plugin_api::Result {
//!         self.next += 1;
//!         out.emit_reliable(&self.next, &[self.next])?;
//!         Ok(())
//!     }
//!
//!     fn fail(&mut self, id: MessageId<'_>, out: &mut SpoutOutput<'_>) -> plugin_api::Result {
//!         let n: u64 = id.get()?;
//!         out.emit_reliable(&n, &[n])?;
//!         Ok(())
//!     }
//! }
//! ```

use std::ffi::c_void;

use serde::de::DeserializeOwned;

use crate::abi::{STATUS_INVALID, STATUS_OK, SpStr};
use crate::context::Context;
use crate::declare::StreamDecl;
use crate::driver::{self, Instance, guarded};
use crate::output::{Core, SpoutOutput};

/// A source of tuples.
pub trait Spout: Sized + 'static {
    /// Declared output streams.
    const OUTPUTS: &'static [StreamDecl] = &[];

    /// Creates the spout when the task starts.
    fn initialize(ctx: &Context) -> crate::Result<Self>;

    /// Emits zero or more tuples. Must not block for long: Storm kills a spout that does
    /// not answer within `topology.subprocess.timeout.secs`.
    fn next_tuple(&mut self, out: &mut SpoutOutput<'_>) -> crate::Result;

    /// A reliable emit's tuple tree completed.
    fn ack(&mut self, id: MessageId<'_>, out: &mut SpoutOutput<'_>) -> crate::Result {
        let _ = (id, out);
        Ok(())
    }

    /// A reliable emit failed or timed out; re-emit it, or drop it.
    fn fail(&mut self, id: MessageId<'_>, out: &mut SpoutOutput<'_>) -> crate::Result {
        let _ = (id, out);
        Ok(())
    }

    /// The topology was activated (the first command a spout gets).
    fn activate(&mut self, out: &mut SpoutOutput<'_>) -> crate::Result {
        let _ = out;
        Ok(())
    }

    /// The topology was deactivated (acks and fails still arrive).
    fn deactivate(&mut self, out: &mut SpoutOutput<'_>) -> crate::Result {
        let _ = out;
        Ok(())
    }
}

/// A spout message id as Storm handed it back: raw JSON, unchanged from the emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageId<'a>(&'a str);

impl<'a> MessageId<'a> {
    /// Wraps raw JSON.
    pub fn from_json(json: &'a str) -> Self {
        MessageId(json)
    }

    /// The raw JSON text.
    pub fn json(&self) -> &'a str {
        self.0
    }

    /// Deserializes the id into the type it was emitted as. Owned types only: Storm may
    /// hand the id back with escapes (`"a\/b"` for `"a/b"`), so a `&str` could not always
    /// borrow from it.
    ///
    /// ```
    /// use plugin_api::MessageId;
    ///
    /// let id = MessageId::from_json(r#""page\/7""#); // as Storm writes "page/7"
    /// assert_eq!(id.get::<String>().unwrap(), "page/7");
    /// ```
    pub fn get<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0)
    }
}

fn output<'a, S>(inst: &'a mut Instance<S>) -> (&'a mut S, SpoutOutput<'a>) {
    let host = inst.host;
    (
        &mut inst.user,
        SpoutOutput {
            core: Core {
                host,
                buf: &mut inst.buf,
                emitted: 0,
            },
            id_buf: &mut inst.id_buf,
        },
    )
}

fn command<S: Spout>(
    inst: *mut c_void,
    what: impl FnOnce() -> String,
    f: impl FnOnce(&mut S, &mut SpoutOutput<'_>) -> crate::Result,
) -> i32 {
    // SAFETY: the host passes what `create::<S>` returned.
    let Some(inst) = (unsafe { driver::instance::<S>(inst) }) else {
        return STATUS_INVALID;
    };
    let host = inst.host;
    let (user, mut out) = output(inst);
    match guarded(host, || f(user, &mut out)) {
        Ok(()) => STATUS_OK,
        Err(failure) => driver::report(inst, &what(), &failure),
    }
}

pub(crate) unsafe extern "C" fn next_tuple<S: Spout>(inst: *mut c_void) -> i32 {
    command::<S>(
        inst,
        || "failed in next_tuple".into(),
        |s, out| s.next_tuple(out),
    )
}

pub(crate) unsafe extern "C" fn ack<S: Spout>(inst: *mut c_void, id: SpStr) -> i32 {
    // SAFETY: borrowed for the call.
    let id = MessageId(unsafe { id.as_str() });
    command::<S>(
        inst,
        || format!("failed in ack({})", id.json()),
        |s, out| s.ack(id, out),
    )
}

pub(crate) unsafe extern "C" fn fail<S: Spout>(inst: *mut c_void, id: SpStr) -> i32 {
    // SAFETY: borrowed for the call.
    let id = MessageId(unsafe { id.as_str() });
    command::<S>(
        inst,
        || format!("failed in fail({})", id.json()),
        |s, out| s.fail(id, out),
    )
}

pub(crate) unsafe extern "C" fn activate<S: Spout>(inst: *mut c_void) -> i32 {
    command::<S>(
        inst,
        || "failed in activate".into(),
        |s, out| s.activate(out),
    )
}

pub(crate) unsafe extern "C" fn deactivate<S: Spout>(inst: *mut c_void) -> i32 {
    command::<S>(
        inst,
        || "failed in deactivate".into(),
        |s, out| s.deactivate(out),
    )
}
