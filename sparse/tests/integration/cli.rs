use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sparse(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sparse"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A scratch project under the target directory.
fn project(name: &str, config: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("topologies")).unwrap();
    std::fs::write(dir.join("config.json"), config).unwrap();
    for (f, src) in files {
        std::fs::write(dir.join("topologies").join(f), src).unwrap();
    }
    dir
}

#[test]
fn check_repo_wordcount_prefers_clj_and_succeeds() {
    // --no-build: this test is about choosing the file; check_plugins covers the plugins.
    let o = sparse(
        &crate::repo_root().join("topologies"),
        // `topologies/` also holds kafka_wordcount: the stem picks the file.
        &["check", "--no-build", "-n", "wordcount"],
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(
        out.contains("topology `wordcount`: 3 components, 5 tasks"),
        "{out}"
    );
    assert!(
        out.contains("from  sentence-splitter/default (fields(word))"),
        "{out}"
    );
    assert!(
        err.contains("using wordcount.clj (also found wordcount.yaml"),
        "{err}"
    );

    let o = sparse(
        &crate::repo_root(),
        &["check", "--no-build", "-n", "wordcount.yaml"],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).0.contains("wordcount.yaml"));
}

#[test]
fn check_lists_every_error_and_exits_1() {
    let dir = project(
        "check-errors",
        "{}",
        &[(
            "bad.clj",
            r#"(defn bad [options]
  [{"s" (rust-spout-spec options "a::S" ["f"])}
   {"b" (rust-bolt-spec options {"s" ["g"] "t" :shuffle} "a::B" [])}])"#,
        )],
    );
    // No sparse-host to ask: only the Storm rules count (check_plugins covers the plugins).
    let o = crate::check_plugins::sparse_without_host(&dir, &["check"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "bad.clj:3:5: component `b`: input from `s` stream `default`: fields grouping on `g`"
        ),
        "{err}"
    );
    assert!(err.contains("unknown component `t`"), "{err}");
    assert!(err.contains("2 errors"), "{err}");

    let dir = project(
        "check-syntax",
        "{}",
        &[("bad.clj", "(defn bad [options]\n  [{} {}]")],
    );
    let o = sparse(&dir, &["check"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("bad.clj:1:1: unclosed `(`"), "{err}");
}

#[test]
fn usage_and_config_errors_exit_2() {
    let dir = project(
        "config-errors",
        r#"{"envs": {"prod": {"log": {"max_bytes": "big"}}}}"#,
        &[],
    );
    let o = sparse(&dir, &["check"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("envs.prod.log.max_bytes: invalid type: string \"big\""),
        "{err}"
    );

    let dir = project("unknown-key", r#"{"topology_spec": "x"}"#, &[("a.clj", "")]);
    let o = sparse(&dir, &["check", "-n", "missing"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("[WARN] ") && err.contains("unknown key `topology_spec`"),
        "{err}"
    );
    assert!(err.contains("no topology `missing`"), "{err}");
    // Not a terminal: no colour codes.
    assert!(!err.contains('\u{1b}'), "{err:?}");
    // -q keeps warnings, -qq only the error that ends the command (either side of the
    // subcommand: the flags are global).
    let o = sparse(&dir, &["-q", "check", "-n", "missing"]);
    let (_, err) = text(&o);
    assert!(err.contains("[WARN] "), "{err}");
    let o = sparse(&dir, &["check", "-qq", "-n", "missing"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("[WARN] "), "{err}");
    assert!(err.contains("no topology `missing`"), "{err}");

    let o = sparse(&dir, &["check", "--bogus"]);
    assert_eq!(o.status.code(), Some(2));

    let o = sparse(Path::new("/"), &["check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("no config.json found"));
}

#[test]
fn visualize_writes_svg_and_dot() {
    let root = crate::repo_root();
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wc.svg");
    let o = sparse(
        &root,
        &[
            "visualize",
            "-n",
            "wordcount.clj",
            "-O",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.starts_with("<svg"));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<rect").count(), 3);
    assert!(svg.contains(">word-counter<"));
    assert!(svg.contains("bolt ×2"));
    assert!(svg.contains("default: fields(word)"));
    assert_eq!(svg.matches("marker-end").count(), 2);

    let o = sparse(
        &root,
        &[
            "visualize",
            "-n",
            "wordcount",
            "--format",
            "dot",
            "--output",
            "-",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let dot = text(&o).0;
    assert!(
        dot.contains("\"sentence-spout\" -> \"sentence-splitter\" [label=\"default: shuffle\"]"),
        "{dot}"
    );
}

#[test]
fn check_warns_about_an_input_declared_twice_and_counts_it_once() {
    let dir = project(
        "check-dup-input",
        "{}",
        &[(
            "dup.clj",
            r#"(defn dup [options]
  [{"s" (python-spout-spec options "s.S" ["w"])}
   {"b" (python-bolt-spec options {"s" :shuffle ["s" "default"] :shuffle} "b.B" [])}])"#,
        )],
    );
    let o = sparse(&dir, &["check"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let file = dir.join("topologies/dup.clj").display().to_string();
    assert!(
        err.contains(&format!(
            "[WARN] {file}:3:49: component `b`: input from `s` stream `default` declared \
             again (earlier at {file}:3:36 with shuffle grouping, here with shuffle)"
        )),
        "{err}"
    );
    assert_eq!(out.matches("from  s/default (shuffle)").count(), 1, "{out}");
}

#[test]
fn check_shows_control_characters_escaped() {
    // An id, a stream and a field with terminal escape sequences and a newline.
    let dir = project(
        "check-escapes",
        "{}",
        &[(
            "esc.clj",
            r#"(defn esc [options]
  [{"s\u001b[2J" (python-spout-spec options "s.S" {"out\u001b]0;x\u0007" ["w\nfake line"]})}
   {"b" (python-bolt-spec options {"s\u001b[2J" :shuffle "ghost\u001b[31m" :shuffle} "b.B" [])}])"#,
        )],
    );
    let o = sparse(&dir, &["check"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    for s in [&out, &err] {
        assert!(
            !s.chars().any(|c| c.is_control() && c != '\n'),
            "raw control characters in {s:?}"
        );
    }
    assert!(out.contains(r"spout s\u{1b}[2J "), "{out}");
    assert!(
        out.contains(r"emits out\u{1b}]0;x\u{7} [w\nfake line]"),
        "{out}"
    );
    assert!(out.contains(r"from  s\u{1b}[2J/default (shuffle)"), "{out}");
    assert!(
        err.contains(r"unknown component `ghost\u{1b}[31m`"),
        "{err}"
    );
    // `s\u{1b}[2J` declares no stream `default`: the stream list is escaped too.
    assert!(err.contains(r"(declared: out\u{1b}]0;x\u{7})"), "{err}");

    // A load error is escaped as well (the YAML key holds ESC, written `\e`).
    let dir = project(
        "check-escapes-load",
        "{}",
        &[(
            "esc.yaml",
            "spouts:\n  - id: \"s\"\n    className: \"x\"\n    \"bogus\\e[31m\": 1\n",
        )],
    );
    let o = sparse(&dir, &["check"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert!(err.contains(r"bogus\u{1b}[31m"), "{err}");
}
