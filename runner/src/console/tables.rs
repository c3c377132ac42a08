//! The tables: the live statistics table (fitted to the terminal's width and height),
//! the plain status line for non-terminal output, and the final summary table
//! (`comfy-table`), each hiding its least useful columns first when space is short.

use std::io::IsTerminal;

use crate::stats::ComponentStats;

/// The width, in columns, of the terminal on `fd`; else the `COLUMNS` environment
/// variable when it holds a positive number; else `None` (no limit: a pipe or a file).
pub fn width_of(fd: impl std::os::fd::AsFd) -> Option<usize> {
    if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size_of(fd)
        && w > 0
    {
        return Some(usize::from(w));
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&w| w > 0)
}

/// The height, in rows, of the terminal on stderr (`None` elsewhere).
fn stderr_rows() -> Option<usize> {
    terminal_size::terminal_size_of(std::io::stderr())
        .map(|(_, terminal_size::Height(h))| usize::from(h))
        .filter(|&h| h > 0)
}

/// Width of `s` in terminal columns, counted in chars (the tables hold ASCII digits, ids
/// and single-width box-drawing characters).
fn cols(s: &str) -> usize {
    s.chars().count()
}

/// `s` cut to `width` chars, ending in `…` when cut.
fn cut(s: &str, width: usize) -> String {
    if cols(s) <= width {
        return s.to_string();
    }
    let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        t.push('…');
    }
    t
}

/// `text` wrapped at spaces into lines of at most `width` chars (a longer word is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && cols(&line) + 1 + cols(word) > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines.into_iter().map(|l| cut(&l, width)).collect()
}

/// One column of a table fitted to a width.
struct Col {
    /// Header; a `\n` splits it over two lines.
    header: &'static str,
    /// Numbers are right-aligned. Only the first column ever wraps.
    number: bool,
    /// 0: always shown; otherwise columns are hidden in increasing order of `drop` until
    /// the table fits.
    drop: u8,
}

/// Renders `rows` under `cols`. With a `width`, columns are hidden (lowest `drop` first)
/// until every line fits, and the first column wraps if need be; a line still too wide
/// (a very narrow terminal) is cut. Returns the lines and the headers hidden.
fn fit_table(
    cols_: &[Col],
    rows: &[Vec<String>],
    width: Option<usize>,
    rule: Option<char>,
) -> (Vec<String>, Vec<&'static str>) {
    use comfy_table::{
        CellAlignment, ColumnConstraint, ContentArrangement, ContentLineStyle, LineStyle, Table,
        TableStyle, Width,
    };
    // Content width of each column: its widest header line or cell.
    let natural: Vec<usize> = cols_
        .iter()
        .enumerate()
        .map(|(i, c)| {
            c.header
                .split('\n')
                .map(cols)
                .chain(rows.iter().map(|r| cols(&r[i])))
                .max()
                .unwrap_or(1)
        })
        .collect();
    // Two spaces before every column but the first. Columns are hidden before an id of
    // up to MIN_WRAPPED chars in the first column would wrap.
    const PAD: usize = 2;
    let pad = |k: usize| if k == 0 { 0 } else { PAD };
    const MIN_WRAPPED: usize = 24;
    let mut shown: Vec<usize> = (0..cols_.len()).collect();
    if let Some(w) = width {
        loop {
            let need: usize = shown
                .iter()
                .enumerate()
                .map(|(k, &i)| {
                    pad(k)
                        + if k == 0 {
                            natural[i].min(MIN_WRAPPED)
                        } else {
                            natural[i]
                        }
                })
                .sum();
            if need <= w {
                break;
            }
            let next = shown
                .iter()
                .enumerate()
                .filter(|(_, i)| cols_[**i].drop > 0)
                .min_by_key(|(_, i)| cols_[**i].drop)
                .map(|(k, _)| k);
            match next {
                Some(k) => {
                    shown.remove(k);
                }
                None => break,
            }
        }
    }
    let mut style = TableStyle::new()
        .header_lines(ContentLineStyle::none())
        .content_lines(ContentLineStyle::none());
    if let Some(c) = rule {
        style = style.header_separator(LineStyle::none().fill(c));
    }
    let mut t = Table::new();
    t.load_style(style);
    t.set_header(shown.iter().map(|&i| cols_[i].header).collect::<Vec<_>>());
    for r in rows {
        t.add_row(shown.iter().map(|&i| r[i].as_str()).collect::<Vec<_>>());
    }
    match width {
        Some(w) => {
            t.set_width(u16::try_from(w).unwrap_or(u16::MAX))
                .set_content_arrangement(ContentArrangement::Dynamic);
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    // Every column keeps its width but the first, which gets what is left (and wraps).
    let others: usize = (1..shown.len()).map(|k| natural[shown[k]] + pad(k)).sum();
    let first = width.map(|w| w.saturating_sub(others).max(1));
    for (k, &i) in shown.iter().enumerate() {
        let content = match (k, first) {
            (0, Some(f)) => natural[i].min(f),
            _ => natural[i],
        };
        if let Some(c) = t.column_mut(k) {
            if cols_[i].number {
                c.set_cell_alignment(CellAlignment::Right);
            }
            c.set_padding((u16::try_from(pad(k)).unwrap_or(0), 0));
            c.set_constraint(ColumnConstraint::Absolute(Width::Fixed(
                u16::try_from(content + pad(k)).unwrap_or(u16::MAX),
            )));
        }
    }
    let hidden = (0..cols_.len())
        .filter(|i| !shown.contains(i))
        .map(|i| cols_[i].header)
        .collect();
    let lines = t.lines().map(|l| l.trim_end().to_string());
    let lines = match width {
        // Still too wide only when the terminal is narrower than the columns that are
        // always shown.
        Some(w) => lines.map(|l| cut(&l, w)).collect(),
        None => lines.collect(),
    };
    (lines, hidden)
}

/// Names of hidden columns for a note (`lat mean\nms` as `lat mean ms`).
fn hidden_names(hidden: &[&str]) -> String {
    hidden
        .iter()
        .map(|h| h.replace('\n', " "))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The live table, fitted to `width` columns: a line with the elapsed time, then per
/// component its tasks, emitted, acked and failed counts and their rates per second since
/// the previous refresh (`prev` holds the counters then). Narrow terminals hide the
/// less useful columns first (`fail/s`, `tasks`, `ack/s`, `emit/s`); with `max_lines`,
/// the components that do not fit are counted on one last line.
///
/// ```
/// use sparse_runner::console::live_table;
/// use sparse_runner::stats::ComponentStats;
///
/// let c = ComponentStats { id: "word-counter".into(), tasks: 2, emitted: 150_084, ..Default::default() };
/// let lines = live_table(&[c], &[(0, 0, 0)], 1.0, 3.0, 40, None);
/// assert!(lines.iter().all(|l| l.chars().count() <= 40), "{lines:#?}");
/// assert!(lines[2].starts_with("word-counter") && lines[2].contains("150084"));
/// ```
pub fn live_table(
    stats: &[ComponentStats],
    prev: &[(u64, u64, u64)],
    secs: f64,
    elapsed: f64,
    width: usize,
    max_lines: Option<usize>,
) -> Vec<String> {
    let width = width.max(1);
    let columns = [
        Col {
            header: "component",
            number: false,
            drop: 0,
        },
        Col {
            header: "tasks",
            number: true,
            drop: 2,
        },
        Col {
            header: "emitted",
            number: true,
            drop: 0,
        },
        Col {
            header: "emit/s",
            number: true,
            drop: 4,
        },
        Col {
            header: "acked",
            number: true,
            drop: 0,
        },
        Col {
            header: "ack/s",
            number: true,
            drop: 3,
        },
        Col {
            header: "failed",
            number: true,
            drop: 0,
        },
        Col {
            header: "fail/s",
            number: true,
            drop: 1,
        },
    ];
    // Title, header and at least one component; the rest are counted on the last line.
    let room = max_lines.map(|m| m.max(4) - 2);
    let (show, more) = match room {
        Some(r) if stats.len() > r => (r - 1, stats.len() - (r - 1)),
        _ => (stats.len(), 0),
    };
    let rate = |now: u64, before: u64| {
        format!(
            "{:.0}",
            (now.saturating_sub(before)) as f64 / secs.max(1e-3)
        )
    };
    let rows: Vec<Vec<String>> = stats
        .iter()
        .zip(prev)
        .take(show)
        .map(|(s, p)| {
            vec![
                s.id.clone(),
                s.tasks.to_string(),
                s.emitted.to_string(),
                rate(s.emitted, p.0),
                s.acked.to_string(),
                rate(s.acked, p.1),
                s.failed.to_string(),
                rate(s.failed, p.2),
            ]
        })
        .collect();
    let (table, hidden) = fit_table(&columns, &rows, Some(width), None);
    let mut title = format!("[sparse run] t={elapsed:.0}s");
    if !hidden.is_empty() {
        title.push_str(&format!(" (hidden to fit: {})", hidden_names(&hidden)));
    }
    let mut lines = vec![cut(&title, width)];
    lines.extend(table);
    if more > 0 {
        lines.push(cut(
            &format!("... and {more} more components (all in the summary at the end)"),
            width,
        ));
    }
    if let Some(m) = max_lines {
        // A component id wrapped over several lines can still overflow; cut there.
        lines.truncate(m.max(1));
    }
    lines
}

/// The live table sized for the terminal on stderr (80 columns when unknown).
pub fn live_table_for_terminal(
    stats: &[ComponentStats],
    prev: &[(u64, u64, u64)],
    secs: f64,
    elapsed: f64,
) -> Vec<String> {
    let width = width_of(std::io::stderr()).unwrap_or(80);
    // Keep one row free so the table never scrolls the screen (the redraw moves the
    // cursor up by the table's line count).
    let rows = stderr_rows().map(|r| r.saturating_sub(1));
    live_table(stats, prev, secs, elapsed, width, rows)
}

/// One plain status line (non-terminal output).
pub fn status_line(stats: &[ComponentStats], elapsed: f64) -> String {
    let parts: Vec<String> = stats
        .iter()
        .map(|s| format!("{} e={} a={} f={}", s.id, s.emitted, s.acked, s.failed))
        .collect();
    format!("[sparse run] t={elapsed:.0}s {}", parts.join(" | "))
}

/// The final summary table for stdout: fitted to the terminal's width there (or
/// `COLUMNS`), unlimited for a pipe or a file.
pub fn summary_table(stats: &[ComponentStats]) -> String {
    let out = std::io::stdout();
    let tty = out.is_terminal();
    summary_table_at(stats, width_of(out), tty)
}

/// The final summary table, drawn with `comfy-table`. With a `width`, no line is wider:
/// component ids wrap, and columns are hidden until the rows fit (`ticks`, `kind`,
/// `lat p99`, `tasks`, `received`, `lat mean`, in that order), named on a note below;
/// `--summary-json` always has every figure. `utf8` draws the header rule with `─`
/// (else `-`).
///
/// ```
/// use sparse_runner::console::summary_table_at;
/// use sparse_runner::stats::ComponentStats;
///
/// let c = ComponentStats { id: "word-counter".into(), kind: "bolt".into(), tasks: 2, emitted: 237_154, ..Default::default() };
/// let wide = summary_table_at(std::slice::from_ref(&c), Some(200), false);
/// assert!(wide.contains("ticks") && wide.contains("237154"));
/// let narrow = summary_table_at(&[c], Some(50), false);
/// assert!(narrow.lines().all(|l| l.chars().count() <= 50), "{narrow}");
/// assert!(narrow.contains("237154") && narrow.contains("not shown"));
/// ```
pub fn summary_table_at(stats: &[ComponentStats], width: Option<usize>, utf8: bool) -> String {
    let col = |header, number, drop| Col {
        header,
        number,
        drop,
    };
    let columns = [
        col("component", false, 0),
        col("kind", false, 2),
        col("tasks", true, 4),
        col("emitted", true, 0),
        col("received", true, 5),
        col("acked", true, 0),
        col("failed", true, 0),
        col("ticks", true, 1),
        col("lat mean\nms", true, 6),
        col("lat p99\nms", true, 3),
    ];
    let rows: Vec<Vec<String>> = stats
        .iter()
        .map(|c| {
            let (mean, p99) = match (&c.kind[..], c.latency.count()) {
                ("spout", n) if n > 0 => (
                    format!("{:.2}", c.latency.mean_ms()),
                    format!("{:.2}", c.latency.quantile_ms(0.99)),
                ),
                ("spout", _) if c.reported_latency_mean_ms.is_some() => (
                    format!("{:.2}", c.reported_latency_mean_ms.unwrap_or_default()),
                    "n/a".into(),
                ),
                _ => ("-".into(), "-".into()),
            };
            let (received, ticks) = if c.kind == "spout" {
                ("-".to_string(), "-".to_string())
            } else {
                (c.received.to_string(), c.ticks.to_string())
            };
            vec![
                c.id.clone(),
                c.kind.clone(),
                c.tasks.to_string(),
                c.emitted.to_string(),
                received,
                c.acked.to_string(),
                c.failed.to_string(),
                ticks,
                mean,
                p99,
            ]
        })
        .collect();
    let width = width.map(|w| w.max(1));
    let rule = if utf8 { '─' } else { '-' };
    let (mut lines, hidden) = fit_table(&columns, &rows, width, Some(rule));
    if let (Some(w), false) = (width, hidden.is_empty()) {
        lines.extend(wrap(
            &format!(
                "(not shown at {w} columns: {}; --summary-json FILE writes every figure)",
                hidden_names(&hidden)
            ),
            w,
        ));
    }
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wordcount topology after a few seconds, with the figures of a real run.
    fn wordcount() -> Vec<ComponentStats> {
        let c = |id: &str, kind: &str, tasks, emitted, acked, received| ComponentStats {
            id: id.into(),
            kind: kind.into(),
            tasks,
            emitted,
            acked,
            received,
            ..Default::default()
        };
        let mut spout = c("sentence-spout", "spout", 1, 21_559, 21_559, 0);
        for us in [900, 1_800, 17_920] {
            spout.latency.record_us(us);
        }
        vec![
            c("sentence-splitter", "bolt", 2, 237_154, 21_559, 21_559),
            spout,
            c("word-counter", "bolt", 2, 237_154, 237_154, 237_154),
        ]
    }

    fn widest(lines: &[String]) -> usize {
        lines.iter().map(|l| l.chars().count()).max().unwrap_or(0)
    }

    #[test]
    fn the_live_table_fits_80_and_200_columns() {
        let stats = wordcount();
        let prev = vec![(0, 0, 0); stats.len()];
        for width in [80, 200] {
            let lines = live_table(&stats, &prev, 1.0, 12.0, width, None);
            assert!(widest(&lines) <= width, "{width}: {lines:#?}");
            assert!(lines[0].contains("t=12s"), "{lines:#?}");
            assert!(lines[1].starts_with("component"), "{lines:#?}");
            for (s, l) in stats.iter().zip(&lines[2..]) {
                assert!(l.starts_with(&s.id), "{l}");
                let figures: Vec<&str> = l.split_whitespace().collect();
                for want in [s.emitted, s.acked, s.failed] {
                    assert!(figures.contains(&want.to_string().as_str()), "{l}");
                }
            }
            // Rates per second since the previous refresh (here: everything in 1 s).
            assert!(lines[4].contains("237154"), "{lines:#?}");
        }
        // 80 columns hold every column of wordcount; 200 obviously too.
        let l80 = live_table(&stats, &prev, 1.0, 12.0, 80, None);
        for h in ["tasks", "emit/s", "ack/s", "fail/s"] {
            assert!(l80[1].contains(h), "{l80:#?}");
        }
    }

    #[test]
    fn a_narrow_terminal_hides_live_columns_and_cuts_long_ids() {
        let mut stats = wordcount();
        stats[0].id = "a-component-id-much-longer-than-the-terminal-is-wide".into();
        stats[2].emitted = 12_345_678_901;
        let prev = vec![(0, 0, 0); stats.len()];
        // Narrower than the columns always shown: cut, never wider.
        let lines = live_table(&stats, &prev, 2.0, 5.0, 20, None);
        assert!(widest(&lines) <= 20, "{lines:#?}");
        for width in [40, 60, 80] {
            let lines = live_table(&stats, &prev, 2.0, 5.0, width, None);
            assert!(widest(&lines) <= width, "{width}: {lines:#?}");
            assert!(
                lines.iter().any(|l| l.contains("12345678901")),
                "{lines:#?}"
            );
            // The id wraps at 40 columns.
            assert!(
                lines.iter().any(|l| l.starts_with("word-coun")),
                "{lines:#?}"
            );
        }
        let lines = live_table(&stats, &prev, 2.0, 5.0, 40, None);
        assert!(lines[0].contains("hidden to fit"), "{lines:#?}");
    }

    #[test]
    fn the_live_table_keeps_to_the_terminal_height() {
        let stats: Vec<ComponentStats> = (0..30)
            .map(|i| ComponentStats {
                id: format!("bolt-{i}"),
                ..Default::default()
            })
            .collect();
        let prev = vec![(0, 0, 0); stats.len()];
        let lines = live_table(&stats, &prev, 1.0, 1.0, 80, Some(10));
        assert_eq!(lines.len(), 10, "{lines:#?}");
        assert!(lines[9].contains("23 more components"), "{lines:#?}");
    }

    #[test]
    fn the_summary_fits_80_and_shows_everything_at_200() {
        let stats = wordcount();
        let wide = summary_table_at(&stats, Some(200), true);
        let wide: Vec<String> = wide.lines().map(String::from).collect();
        assert!(widest(&wide) <= 200, "{wide:#?}");
        for h in [
            "component",
            "kind",
            "tasks",
            "emitted",
            "received",
            "acked",
            "failed",
            "ticks",
            "lat mean",
            "lat p99",
        ] {
            assert!(wide[0].contains(h), "{h}: {wide:#?}");
        }
        assert!(wide[2].starts_with('─'), "{wide:#?}");
        assert!(
            wide[4].contains("1.80") || wide[4].contains("6.87"),
            "{wide:#?}"
        );
        assert!(!wide.iter().any(|l| l.contains("not shown")), "{wide:#?}");

        let narrow = summary_table_at(&stats, Some(80), false);
        let narrow: Vec<String> = narrow.lines().map(String::from).collect();
        assert!(widest(&narrow) <= 80, "{narrow:#?}");
        for (s, l) in stats.iter().zip(&narrow[3..]) {
            assert!(l.starts_with(&s.id), "{narrow:#?}");
            for want in [s.emitted, s.acked, s.failed] {
                assert!(l.split_whitespace().any(|f| f == want.to_string()), "{l}");
            }
        }
        let note = narrow.last().unwrap();
        assert!(
            note.contains("not shown at 80 columns: kind, ticks;"),
            "{narrow:#?}"
        );
    }

    #[test]
    fn a_summary_for_a_pipe_is_not_limited() {
        let mut stats = wordcount();
        stats[0].id = "x".repeat(150);
        let s = summary_table_at(&stats, None, false);
        assert!(s.lines().any(|l| l.contains(&"x".repeat(150))), "{s}");
        assert!(s.lines().next().unwrap().contains("ticks"), "{s}");
    }

    #[test]
    fn a_long_id_wraps_in_the_summary_rather_than_the_row() {
        let mut stats = wordcount();
        stats[2].id = "a-word-counter-with-an-unusually-long-component-identifier".into();
        stats[2].emitted = 98_765_432_109;
        for width in [40, 60, 80] {
            let s = summary_table_at(&stats, Some(width), true);
            let lines: Vec<String> = s.lines().map(String::from).collect();
            assert!(widest(&lines) <= width, "{width}: {s}");
            assert!(s.contains("98765432109"), "{s}");
        }
    }
}
