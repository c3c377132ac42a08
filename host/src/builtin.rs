//! Components built into `sparse-host`, named `sparse::NAME`: no plugin file is loaded
//! for them.
//!
//! * `sparse::FixedTuples`: a spout that emits a finite list of rows, each once, on the
//!   default stream, reliably (message id = the row's index), then nothing. It never
//!   replays a failed row, so a test sees every failure. The rows come from the
//!   component's conf: `"sparse.fixed.tuples": [["a", 1], ["b", 2]]` (each row a JSON
//!   array of the stream's values). `sparse_runner::testing` uses it to replace a
//!   topology's spout with test input while keeping a real multi-lang task.
//!
//! ```
//! use sparse_host::builtin;
//!
//! assert!(builtin::component("FixedTuples").is_some());
//! assert!(builtin::component("Nope").is_none());
//! ```

use plugin_api::{Context, MessageId, Spout, SpoutOutput};
use serde_json::Value;

use crate::plugin::Component;

/// The crate name that selects a built-in component (`sparse::FixedTuples`).
pub const CRATE: &str = "sparse";

/// The conf key holding `sparse::FixedTuples`'s rows.
pub const FIXED_TUPLES_KEY: &str = "sparse.fixed.tuples";

/// The built-in component called `name`, if there is one.
pub fn component(name: &str) -> Option<Component> {
    let entry = match name {
        "FixedTuples" => plugin_api::export::ComponentEntry::spout::<FixedTuples>("FixedTuples"),
        _ => return None,
    };
    // One component per process: leaking its descriptor gives the `'static` a plugin's
    // descriptor has.
    let entry: &'static plugin_api::export::ComponentEntry = Box::leak(Box::new(entry));
    Some(Component {
        vtable: Box::leak(Box::new(entry.vtable())),
    })
}

/// Emits the rows of `sparse.fixed.tuples` once each (see the module doc).
pub struct FixedTuples {
    rows: Vec<Value>,
    next: usize,
}

impl Spout for FixedTuples {
    fn initialize(ctx: &Context) -> plugin_api::Result<Self> {
        let rows = match ctx.conf_value(FIXED_TUPLES_KEY) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(rows)) => rows.clone(),
            Some(other) => {
                return Err(format!(
                    "{FIXED_TUPLES_KEY} of component `{}` must be a list of rows (JSON arrays); got {other}",
                    ctx.component_id()
                )
                .into());
            }
        };
        if let Some((i, row)) = rows.iter().enumerate().find(|(_, r)| !r.is_array()) {
            return Err(format!(
                "{FIXED_TUPLES_KEY} of component `{}`: row {i} must be a JSON array of values; got {row}",
                ctx.component_id()
            )
            .into());
        }
        Ok(FixedTuples { rows, next: 0 })
    }

    fn next_tuple(&mut self, out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        if let Some(row) = self.rows.get(self.next) {
            out.emit_reliable(&self.next, row)?;
            self.next += 1;
        }
        Ok(())
    }

    fn ack(&mut self, id: MessageId<'_>, _out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        log::debug!("row {} acked", id.json());
        Ok(())
    }

    fn fail(&mut self, id: MessageId<'_>, _out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        log::info!("row {} failed (not replayed)", id.json());
        Ok(())
    }
}
