//! Pictures of a topology: SVG drawn by our own simple layered layout (no graphviz needed),
//! and Graphviz DOT text.
//!
//! Layout: spouts in the first column; each bolt one column right of its deepest source
//! (longest path from a spout; cycles are cut after as many rounds as there are components).
//! Components are boxes showing id, kind and parallelism (JVM components dashed, marked
//! `JVM spout`/`JVM bolt`); each subscription is an arrow
//! labelled `stream: grouping`. Arrows that do not go rightwards are drawn as curves.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::describe::grouping_label;
use super::model::{Component, ComponentKind, Exec, Topology};

const BOX_W: f64 = 180.0;
const BOX_H: f64 = 50.0;
const COL_GAP: f64 = 140.0;
const ROW_GAP: f64 = 40.0;
const MARGIN: f64 = 30.0;

/// The column of every component (spouts 0, bolts by longest path from a spout).
pub fn layers(t: &Topology) -> Vec<usize> {
    let index: HashMap<&str, usize> = t
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut depth = vec![0usize; t.components.len()];
    for _ in 0..t.components.len() {
        let mut changed = false;
        for (i, c) in t.components.iter().enumerate() {
            if c.kind == ComponentKind::Spout {
                continue;
            }
            let d = c
                .inputs
                .iter()
                .filter_map(|inp| index.get(inp.source.as_str()))
                .filter(|&&s| s != i)
                .map(|&s| depth[s] + 1)
                .max()
                .unwrap_or(1)
                .max(1);
            if d != depth[i] && d <= t.components.len() {
                depth[i] = d;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    depth
}

/// Text for an SVG attribute or element: XML's five specials as entities, and every
/// control character (which XML 1.0 forbids, even as `&#N;`) as visible `\u{N}`.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Renders `t` as a standalone SVG document.
pub fn to_svg(t: &Topology) -> String {
    let depth = layers(t);
    let mut row_of = vec![0usize; t.components.len()];
    let mut rows: HashMap<usize, usize> = HashMap::new();
    for (i, d) in depth.iter().enumerate() {
        let r = rows.entry(*d).or_insert(0);
        row_of[i] = *r;
        *r += 1;
    }
    let cols = depth.iter().max().map_or(1, |d| d + 1);
    let max_rows = rows.values().copied().max().unwrap_or(1).max(1);
    let pos = |i: usize| -> (f64, f64) {
        (
            MARGIN + depth[i] as f64 * (BOX_W + COL_GAP),
            MARGIN + 20.0 + row_of[i] as f64 * (BOX_H + ROW_GAP),
        )
    };
    let width = 2.0 * MARGIN + cols as f64 * BOX_W + (cols.saturating_sub(1)) as f64 * COL_GAP;
    let height = 2.0 * MARGIN + 20.0 + max_rows as f64 * (BOX_H + ROW_GAP);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    s.push_str(
        r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>
"##,
    );
    let _ = writeln!(
        s,
        r#"<text x="{MARGIN}" y="{}" font-size="14" font-weight="bold">{}</text>"#,
        MARGIN,
        esc(&t.name)
    );
    let index: HashMap<&str, usize> = t
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    for (ti, c) in t.components.iter().enumerate() {
        for (k, inp) in c.inputs.iter().enumerate() {
            let Some(&si) = index.get(inp.source.as_str()) else {
                continue;
            };
            let (sx, sy) = pos(si);
            let (tx, ty) = pos(ti);
            let label = esc(&format!(
                "{}: {}",
                inp.stream,
                grouping_label(&inp.grouping)
            ));
            let (x1, y1) = (sx + BOX_W, sy + BOX_H / 2.0);
            let (x2, y2) = (tx, ty + BOX_H / 2.0 + (k as f64 * 4.0));
            if x2 > x1 {
                let _ = writeln!(
                    s,
                    r##"<path d="M{x1},{y1} L{x2},{y2}" stroke="#444" fill="none" marker-end="url(#arrow)"/>"##
                );
                let _ = writeln!(
                    s,
                    r#"<text x="{}" y="{}" text-anchor="middle">{label}</text>"#,
                    (x1 + x2) / 2.0,
                    (y1 + y2) / 2.0 - 6.0
                );
            } else {
                // Backwards or same-column edge: loop over the top.
                let top = sy.min(ty) - 15.0 - k as f64 * 6.0;
                let _ = writeln!(
                    s,
                    r##"<path d="M{},{sy} C{},{top} {},{top} {},{ty}" stroke="#444" fill="none" stroke-dasharray="4 2" marker-end="url(#arrow)"/>"##,
                    sx + BOX_W / 2.0,
                    sx + BOX_W / 2.0,
                    tx + BOX_W / 2.0,
                    tx + BOX_W / 2.0
                );
                let _ = writeln!(
                    s,
                    r#"<text x="{}" y="{}" text-anchor="middle">{label}</text>"#,
                    (sx + tx + BOX_W) / 2.0,
                    top
                );
            }
        }
    }
    for (i, c) in t.components.iter().enumerate() {
        let (x, y) = pos(i);
        let fill = match c.kind {
            ComponentKind::Spout => "#dbeafe",
            ComponentKind::Bolt => "#dcfce7",
        };
        // A JVM component has a dashed border and says so (its streams are declared, not
        // asked from the class).
        let dash = if jvm(c) {
            r#" stroke-dasharray="6 3""#
        } else {
            ""
        };
        let _ = writeln!(
            s,
            r##"<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}" stroke="#333"{dash}/>"##
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" font-weight="bold">{}</text>"#,
            x + BOX_W / 2.0,
            y + 20.0,
            esc(&c.id)
        );
        let tasks = if c.num_tasks == c.parallelism {
            String::new()
        } else {
            format!(", {} tasks", c.num_tasks)
        };
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">{} ×{}{}</text>"#,
            x + BOX_W / 2.0,
            y + 38.0,
            kind_text(c),
            c.parallelism,
            tasks
        );
    }
    s.push_str("</svg>\n");
    s
}

/// A DOT quoted string; control characters become visible `\u{N}` (DOT has no escape
/// for them, and a raw one would reach the terminal or break the file).
fn dot_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn jvm(c: &Component) -> bool {
    matches!(c.exec, Exec::Java(_))
}

/// `spout`/`bolt`, or `JVM spout`/`JVM bolt` for a JVM component.
fn kind_text(c: &Component) -> String {
    let kind = super::describe::kind_label(c.kind);
    if jvm(c) {
        format!("JVM {kind}")
    } else {
        kind.to_string()
    }
}

/// Renders `t` as a Graphviz DOT digraph.
pub fn to_dot(t: &Topology) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "digraph {} {{", dot_str(&t.name));
    s.push_str("  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\"];\n");
    for c in &t.components {
        let fill = match c.kind {
            ComponentKind::Spout => "#dbeafe",
            ComponentKind::Bolt => "#dcfce7",
        };
        let _ = writeln!(
            s,
            "  {} [label={}, fillcolor=\"{fill}\"];",
            dot_str(&c.id),
            dot_str(&format!("{}\n{} x{}", c.id, kind_text(c), c.parallelism))
        );
    }
    for c in &t.components {
        for i in &c.inputs {
            let _ = writeln!(
                s,
                "  {} -> {} [label={}];",
                dot_str(&i.source),
                dot_str(&c.id),
                dot_str(&format!("{}: {}", i.stream, grouping_label(&i.grouping)))
            );
        }
    }
    s.push_str("}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_in_ids_are_escaped() {
        let src = "(defn t [o] [{\"sp\u{1b}[31mout\" (rust-spout-spec o \"a::S\" [\"f\"])} \
                   {\"b<&>'\\\"\u{7}\" (rust-bolt-spec o {\"sp\u{1b}[31mout\" :shuffle} \"a::B\" [])}])";
        let t = crate::clj::load_str(src, std::path::Path::new("t.clj")).unwrap();
        let svg = to_svg(&t);
        assert!(!svg.chars().any(|c| c.is_control() && c != '\n'), "{svg}");
        assert!(svg.contains("sp\\u{1b}[31mout"), "{svg}");
        assert!(svg.contains("b&lt;&amp;&gt;&apos;&quot;\\u{7}"), "{svg}");
        let dot = to_dot(&t);
        assert!(!dot.chars().any(|c| c.is_control() && c != '\n'), "{dot}");
    }
}
