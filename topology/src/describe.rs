//! A one-screen text description of a topology, as printed by `sparse check`. Every name
//! from the file goes through [`escape_controls`](super::escape_controls), so the
//! description never carries a raw escape sequence to the terminal.

use std::fmt::Write as _;

use super::escape_controls as esc;
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
        Exec::Java(def) => format!("java {}", def.class_name),
    }
}

/// Renders the description: name, totals, then per component its kind, tasks, command,
/// output streams and inputs.
pub fn describe(t: &Topology) -> String {
    let conf_line = |conf: &serde_json::Map<String, serde_json::Value>| {
        let keys: Vec<String> = conf.iter().map(|(k, v)| format!("{k}={v}")).collect();
        esc(&keys.join(", ")).into_owned()
    };
    let mut s = String::new();
    let tasks: u64 = t.components.iter().map(|c| u64::from(c.num_tasks)).sum();
    let _ = writeln!(
        s,
        "topology `{}`: {} components, {} tasks",
        esc(&t.name),
        t.components.len(),
        tasks
    );
    if !t.conf.is_empty() {
        let _ = writeln!(s, "  conf: {}", conf_line(&t.conf));
    }
    for o in &t.jvm_objects {
        let _ = writeln!(
            s,
            "  {:<5} {:<20} java {}",
            "jvm",
            esc(&o.id),
            esc(&o.def.class_name)
        );
    }
    for c in &t.components {
        let _ = writeln!(
            s,
            "  {:<5} {:<20} executors {} tasks {}  {}",
            kind_label(c.kind),
            esc(&c.id),
            c.parallelism,
            c.num_tasks,
            esc(&exec_label(&c.exec))
        );
        for (sid, def) in &c.outputs {
            let _ = writeln!(
                s,
                "      emits {}{} [{}]",
                esc(sid),
                if def.direct { " (direct)" } else { "" },
                esc(&def.fields.join(", "))
            );
        }
        for i in &c.inputs {
            let _ = writeln!(
                s,
                "      from  {}/{} ({})",
                esc(&i.source),
                esc(&i.stream),
                esc(&grouping_label(&i.grouping))
            );
        }
        if !c.conf.is_empty() {
            let _ = writeln!(s, "      conf  {}", conf_line(&c.conf));
        }
    }
    s
}
