//! Spout rules.

use plugin_api::testkit::{Recorded, SpoutHarness};
use plugin_api::{Context, Emit, MessageId, Spout, SpoutOutput, StreamDecl, fields};
use serde_json::{Value, json};

struct Ids {
    n: u64,
    acked: Vec<Value>,
}

impl Spout for Ids {
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["v"])];

    fn initialize(_: &Context) -> plugin_api::Result<Self> {
        Ok(Ids {
            n: 0,
            acked: Vec::new(),
        })
    }

    fn next_tuple(&mut self, out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        self.n += 1;
        match self.n {
            1 => out.emit_reliable(&json!({"k": [1, "two"]}), &["object id"])?,
            2 => out.emit_reliable("string id", &["s"])?,
            3 => out.emit(&["unreliable"])?,
            4 => {
                out.emit_with(&["d"], Some(&5), Emit::new().direct(3))?;
            }
            _ => return Err("exhausted".into()),
        }
        Ok(())
    }

    fn ack(&mut self, id: MessageId<'_>, out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        self.acked.push(id.get()?);
        out.emit(&[format!("acked {}", id.json())])?;
        Ok(())
    }
}

#[test]
fn message_ids_of_any_json_type_round_trip() {
    let mut s = SpoutHarness::<Ids>::new().unwrap();
    s.activate().unwrap();
    for _ in 0..4 {
        s.next_tuple().unwrap();
    }
    let emits = s.emits();
    assert_eq!(emits[0].0, Some(json!({"k": [1, "two"]})));
    assert_eq!(emits[1].0, Some(json!("string id")));
    assert_eq!(emits[2].0, None);
    assert_eq!(emits[3].0, Some(json!(5)));
    s.ack(json!({"k": [1, "two"]})).unwrap();
    assert_eq!(
        s.emitted_values().last().unwrap(),
        &json!([r#"acked {"k":[1,"two"]}"#])
    );
}

#[test]
fn errors_in_next_are_reported() {
    let mut s = SpoutHarness::<Ids>::new().unwrap();
    for _ in 0..4 {
        s.next_tuple().unwrap();
    }
    let f = s.next_tuple().unwrap_err();
    assert!(
        f.message.contains("exhausted") && f.message.contains("next_tuple"),
        "{f}"
    );
    assert_eq!(s.errors().len(), 1);
}
