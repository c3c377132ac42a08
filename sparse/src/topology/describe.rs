//! A one-screen text description of a topology, as printed by `sparse check`.

use std::fmt::Write as _;

use super::model::{ComponentKind, Exec, Grouping, Topology};

/// Short label of a grouping: `shuffle`, `fields(word)`, `custom(org.Foo)`...
pub fn grouping_label(g: &Grouping) -> String {
    match g {
        Grouping::Shuffle => "shuffle".into(),
        Grouping::LocalOrShuffle => "local-or-shuffle".into(),
        Grouping::Fields(f) => format!("fields({})", f.join(", ")),
        Grouping::Global => "global".into(),
        Grouping::All => "all".into(),
        Grouping::None => "none".into(),
        Grouping::Direct => "direct".into(),
        Grouping::Custom(c) => format!("custom({c})"),
    }
}

/// `spout` or `bolt`.
pub fn kind_label(k: ComponentKind) -> &'static str {
    match k {
        ComponentKind::Spout => "spout",
        ComponentKind::Bolt => "bolt",
    }
}

/// How a component runs, as one line (argv joined with spaces, or `java CLASS`).
pub fn exec_label(e: &Exec) -> String {
    match e {
        Exec::Shell { command } => command
            .iter()
            .map(|a| {
                if a.is_empty() || a.contains(char::is_whitespace) {
                    format!("{a:?}")
                } else {
                    a.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
        Exec::Java { class_name, .. } => format!("java {class_name}"),
    }
}

/// Renders the description: name, totals, then per component its kind, tasks, command,
/// output streams and inputs.
pub fn describe(t: &Topology) -> String {
    let mut s = String::new();
    let tasks: u64 = t.components.iter().map(|c| u64::from(c.num_tasks)).sum();
    let _ = writeln!(
        s,
        "topology `{}`: {} components, {} tasks",
        t.name,
        t.components.len(),
        tasks
    );
    if !t.conf.is_empty() {
        let keys: Vec<String> = t.conf.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(s, "  conf: {}", keys.join(", "));
    }
    for c in &t.components {
        let _ = writeln!(
            s,
            "  {:<5} {:<20} executors {} tasks {}  {}",
            kind_label(c.kind),
            c.id,
            c.parallelism,
            c.num_tasks,
            exec_label(&c.exec)
        );
        for (sid, def) in &c.outputs {
            let _ = writeln!(
                s,
                "      emits {sid}{} [{}]",
                if def.direct { " (direct)" } else { "" },
                def.fields.join(", ")
            );
        }
        for i in &c.inputs {
            let _ = writeln!(
                s,
                "      from  {}/{} ({})",
                i.source,
                i.stream,
                grouping_label(&i.grouping)
            );
        }
        if !c.conf.is_empty() {
            let keys: Vec<String> = c.conf.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(s, "      conf  {}", keys.join(", "));
        }
    }
    s
}
