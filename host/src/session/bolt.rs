//! The bolt loop: read a tuple (JSON or fast wire), answer heartbeats, and hand every
//! other tuple to the component's `process` (or `tick`).

use std::ffi::c_void;
use std::io::{Read, Write};

use plugin_api::abi::{SpStr, TupleV1};
use sparse_protocol::component::{SpoutCommand, TupleView};
use sparse_protocol::fastwire::{self, StormMsg};

use super::{Session, after_call, lossy};
use crate::error::HostError;
use crate::plugin::Component;

pub(super) fn bolt_loop<R: Read, W: Write>(
    sp: *mut Session<R, W>,
    component: Component,
    instance: *mut c_void,
) -> Result<(), HostError> {
    let vtable = component.vtable;
    let process = vtable.process.expect("checked at load");
    let tick = vtable.tick;
    let mut frame = Vec::with_capacity(4096);
    let mut scratch = Vec::with_capacity(4096);
    // SAFETY: no plugin call in progress.
    let fast = unsafe { (*sp).fast };
    loop {
        // SAFETY: no plugin call in progress.
        if !unsafe { (*sp).next_command(&mut frame)? } {
            return Ok(());
        }
        let t = if fast {
            fast_tuple(component, &frame, &mut scratch)?
        } else {
            // SAFETY: next_command checked UTF-8.
            let text = unsafe { std::str::from_utf8_unchecked(&frame) };
            match TupleView::parse(text) {
                Ok(t) => t,
                Err(e) => return Err(not_a_tuple(component, text, e)),
            }
        };
        if t.is_heartbeat() {
            // SAFETY: no plugin call in progress.
            unsafe { (*sp).write_sync() };
            continue;
        }
        let tv = TupleV1 {
            struct_size: std::mem::size_of::<TupleV1>(),
            id: SpStr::new(t.id),
            component: SpStr::new(t.comp.as_deref().unwrap_or("")),
            stream: SpStr::new(&t.stream),
            task: t.task,
            values: SpStr::new(t.values),
        };
        let f = match tick {
            Some(tick) if t.is_tick() => tick,
            _ => process,
        };
        // SAFETY: a live instance of this component and a tuple valid for the call.
        let status = unsafe { f(instance, &tv) };
        // SAFETY: the call returned.
        after_call(unsafe { &mut *sp }, component, status)?;
    }
}

/// A bolt tuple from the fast wire, with its id and values as JSON text in `scratch`.
fn fast_tuple<'a>(
    component: Component,
    frame: &'a [u8],
    scratch: &'a mut Vec<u8>,
) -> Result<TupleView<'a>, HostError> {
    let msg = fastwire::decode_storm_msg(frame, scratch)
        .map_err(|e| HostError::Protocol(format!("bad fast-wire message from Storm: {e}")))?;
    let (id, comp, stream, task, values) = match msg {
        StormMsg::Tuple {
            id,
            comp,
            stream,
            task,
            values,
        } => (id, comp, stream, task, values),
        StormMsg::Spout { command, .. } => {
            return Err(HostError::WrongRole(format!(
                "{} is a bolt, but Storm sent it the spout command {command:?}; name a bolt here, or use this component in a spout spec",
                component.name()
            )));
        }
        StormMsg::TaskIds(_) => unreachable!("next_command returns tuples and commands"),
    };
    // decode_storm_msg writes JSON text, which is UTF-8.
    let text = |r: (usize, usize)| std::str::from_utf8(&scratch[r.0..r.1]).unwrap_or("");
    Ok(TupleView {
        id: text(id),
        comp: comp.map(std::borrow::Cow::Borrowed),
        stream: std::borrow::Cow::Borrowed(stream),
        task,
        values: text(values),
    })
}

fn not_a_tuple(component: Component, text: &str, e: serde_json::Error) -> HostError {
    if let Ok(cmd) = serde_json::from_str::<SpoutCommand>(text) {
        return HostError::WrongRole(format!(
            "{} is a bolt, but Storm sent it the spout command {:?}; name a bolt here, or use this component in a spout spec",
            component.name(),
            cmd.command
        ));
    }
    HostError::Protocol(format!(
        "expected a tuple, got {}: {e}",
        lossy(text.as_bytes())
    ))
}
