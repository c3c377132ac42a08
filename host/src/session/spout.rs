//! The spout loop: read a command (`next`, `ack`, `fail`, `activate`, `deactivate`), call
//! the component's entry point for it, and answer with `sync`.

use std::ffi::c_void;
use std::io::{Read, Write};
use std::time::Duration;

use plugin_api::abi::{STATUS_OK, SpStr};
use sparse_protocol::component::{BoltTuple, SpoutCommand};
use sparse_protocol::fastwire::{self, StormMsg};

use super::{Session, after_call, lossy};
use crate::error::HostError;
use crate::plugin::Component;

/// `{"command":"next","id":""}` in both key orders, as Storm writes it.
const NEXT_FRAMES: [&str; 2] = [
    r#"{"command":"next","id":""}"#,
    r#"{"id":"","command":"next"}"#,
];

/// A spout command from the fast wire: its name and id (JSON text in `scratch`).
fn fast_command<'a>(
    component: Component,
    frame: &'a [u8],
    scratch: &'a mut Vec<u8>,
) -> Result<SpoutCommand<'a>, HostError> {
    let msg = fastwire::decode_storm_msg(frame, scratch)
        .map_err(|e| HostError::Protocol(format!("bad fast-wire message from Storm: {e}")))?;
    match msg {
        StormMsg::Spout { command, id } => {
            let id = std::str::from_utf8(&scratch[id.0..id.1]).unwrap_or("\"\"");
            let id = (id != "\"\"")
                .then(|| serde_json::from_str::<&serde_json::value::RawValue>(id).ok())
                .flatten();
            Ok(SpoutCommand {
                command: std::borrow::Cow::Borrowed(command),
                id,
            })
        }
        StormMsg::Tuple { .. } => Err(HostError::WrongRole(format!(
            "{} is a spout, but Storm sent it a tuple; name a spout here, or use this component in a bolt spec",
            component.name()
        ))),
        StormMsg::TaskIds(_) => unreachable!("next_command returns tuples and commands"),
    }
}

/// A spout command from the JSON wire.
fn json_command(component: Component, text: &str) -> Result<SpoutCommand<'_>, HostError> {
    // `next` is most of a spout's traffic and Storm writes it in one of two key
    // orders: recognise it without a parse.
    if NEXT_FRAMES.contains(&text) {
        return Ok(SpoutCommand {
            command: "next".into(),
            id: None,
        });
    }
    match serde_json::from_str::<SpoutCommand>(text) {
        Ok(c) => Ok(c),
        Err(e) => {
            if serde_json::from_str::<BoltTuple>(text).is_ok() {
                return Err(HostError::WrongRole(format!(
                    "{} is a spout, but Storm sent it a tuple; name a spout here, or use this component in a bolt spec",
                    component.name()
                )));
            }
            Err(HostError::Protocol(format!(
                "expected a spout command, got {}: {e}",
                lossy(text.as_bytes())
            )))
        }
    }
}

pub(super) fn spout_loop<R: Read, W: Write>(
    sp: *mut Session<R, W>,
    component: Component,
    instance: *mut c_void,
) -> Result<(), HostError> {
    let v = component.vtable;
    let mut frame = Vec::with_capacity(256);
    let mut scratch = Vec::with_capacity(256);
    // SAFETY: no plugin call in progress.
    let fast = unsafe { (*sp).fast };
    loop {
        // SAFETY: no plugin call in progress.
        if !unsafe { (*sp).next_command(&mut frame)? } {
            return Ok(());
        }
        let cmd: SpoutCommand = if fast {
            fast_command(component, &frame, &mut scratch)?
        } else {
            // SAFETY: next_command checked UTF-8 (JSON wire).
            let text = unsafe { std::str::from_utf8_unchecked(&frame) };
            json_command(component, text)?
        };
        let id = SpStr::new(cmd.id.map_or("\"\"", |r| r.get()));
        // SAFETY: no plugin call in progress.
        let before = unsafe { (*sp).emitted };
        // SAFETY (all calls): a live instance; `id` borrowed for the call.
        let status = match cmd.command.as_ref() {
            "next" => unsafe { (v.next_tuple.expect("checked at load"))(instance) },
            "ack" => v.ack.map_or(STATUS_OK, |f| unsafe { f(instance, id) }),
            "fail" => v.fail.map_or(STATUS_OK, |f| unsafe { f(instance, id) }),
            "activate" => v.activate.map_or(STATUS_OK, |f| unsafe { f(instance) }),
            "deactivate" => v.deactivate.map_or(STATUS_OK, |f| unsafe { f(instance) }),
            other => {
                log::warn!("unknown spout command {other:?}; answering with sync");
                STATUS_OK
            }
        };
        // SAFETY: the call returned.
        let s = unsafe { &mut *sp };
        if let Err(e) = after_call(s, component, status) {
            s.write_sync();
            return Err(e);
        }
        if cmd.command == "next" && s.emitted == before {
            // Nothing to emit: idle a little, as Storm asks of shell spouts.
            std::thread::sleep(Duration::from_millis(1));
        }
        s.write_sync();
    }
}
