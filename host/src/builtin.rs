//! Components built into `sparse-host`, named `sparse::NAME`: no plugin file is loaded
//! for them.
//!
//! * `sparse::FixedTuples`: a spout that emits a finite list of rows, each once, in order,
//!   reliably (message id = the row's index), then nothing. It never replays a failed
//!   row, so a test sees every failure. The rows come from the component's conf:
//!   `"sparse.fixed.tuples": [["a", 1], {"stream": "errors", "values": ["b"]}]`, each row
//!   a JSON array of the default stream's values, or an object naming the stream (any
//!   stream the component declares) and its values. `sparse_runner::testing` uses it to
//!   replace a topology's spout with test input while keeping a real multi-lang task.
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
    /// Each row's stream (`None`: default) and values.
    rows: Vec<(Option<String>, Value)>,
    next: usize,
}

/// A row of `sparse.fixed.tuples`: `[values…]` or `{"stream": S, "values": [values…]}`.
fn parse_row(row: &Value) -> Option<(Option<String>, Value)> {
    match row {
        Value::Array(_) => Some((None, row.clone())),
        Value::Object(o) if o.len() == 2 => {
            let stream = o.get("stream")?.as_str()?;
            let values = o.get("values").filter(|v| v.is_array())?;
            Some((Some(stream.to_owned()), values.clone()))
        }
        _ => None,
    }
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
        let mut parsed = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let Some(r) = parse_row(row) else {
                return Err(format!(
                    "{FIXED_TUPLES_KEY} of component `{}`: row {i} must be a JSON array of values, or {{\"stream\": NAME, \"values\": [...]}}; got {row}",
                    ctx.component_id()
                )
                .into());
            };
            parsed.push(r);
        }
        Ok(FixedTuples {
            rows: parsed,
            next: 0,
        })
    }

    fn next_tuple(&mut self, out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        if let Some((stream, values)) = self.rows.get(self.next) {
            match stream {
                None => out.emit_reliable(&self.next, values)?,
                Some(s) => out.emit_reliable_to(s, &self.next, values)?,
            }
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
