//! `sparse check` against the plugins: mismatches found through the real `sparse-host
//! --list --json` (release `sparse-host` and `libwordcount.so`, as `sparse run` uses them),
//! topologies that need no plugins, no `sparse-host` at all, and `--no-build` on a project
//! whose plugin is older than its sources or not built.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use crate::run_wordcount::{TempDir, ensure_release_binaries, target_dir};

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A project folder with `config.json` and these topology files.
fn project(tag: &str, files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new(tag);
    std::fs::create_dir_all(dir.0.join("topologies")).unwrap();
    std::fs::write(dir.0.join("config.json"), "{}").unwrap();
    for (f, src) in files {
        std::fs::write(dir.0.join("topologies").join(f), src).unwrap();
    }
    dir
}

/// `sparse ARGS` in `dir`, with the repository's release build as the project's
/// (`CARGO_TARGET_DIR`), so `sparse-host` and the plugins are the ones `sparse run` uses.
fn sparse_with_host(dir: &Path, args: &[&str]) -> Output {
    ensure_release_binaries();
    Command::new(env!("CARGO_BIN_EXE_sparse"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("SPARSE_PLUGIN_PATH")
        .output()
        .unwrap()
}

/// A copy of the `sparse` binary alone in a folder, so no `sparse-host` sits next to it.
fn lone_sparse() -> PathBuf {
    static COPY: OnceLock<PathBuf> = OnceLock::new();
    COPY.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lone-sparse");
        std::fs::create_dir_all(&dir).unwrap();
        let to = dir.join(format!("sparse-{}", std::process::id()));
        std::fs::copy(env!("CARGO_BIN_EXE_sparse"), &to).unwrap();
        to
    })
    .clone()
}

/// `sparse ARGS` in `dir` where no `sparse-host` can be found (nor cargo run): the copy
/// from [`lone_sparse`], an empty `PATH`, an empty target folder.
pub(crate) fn sparse_without_host(dir: &Path, args: &[&str]) -> Output {
    Command::new(lone_sparse())
        .args(args)
        .current_dir(dir)
        .env("PATH", "/nonexistent-sparse-test-path")
        .env("CARGO_TARGET_DIR", dir.join("no-target"))
        .env_remove("SPARSE_PLUGIN_PATH")
        .output()
        .unwrap()
}

const BAD: &str = r#"(defn bad [options]
  [{"spout" (rust-spout-spec options "wordcount::SentenceSpuot" ["sentence"])
    "source" (rust-spout-spec options "wordcount::SentenceSpout" {"default" ["sentence"] "other" ["x"]})
    "typo" (rust-spout-spec options "wordcont::SentenceSpout" ["sentence"])}
   {"split" (rust-bolt-spec options {"source" :shuffle ["source" "other"] :shuffle} "wordcount::SentenceSplitter" ["words"])
    "count" (rust-bolt-spec options {"split" ["words"]} "wordcount::SentenceSpout" ["word" "count"])}])"#;

#[test]
fn mismatches_with_the_plugins_are_located_errors() {
    let dir = project("check-plugins", &[("bad.clj", BAD)]);
    let o = sparse_with_host(&dir.0, &["check", "--no-build"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    let release = target_dir().join("release");
    // Where the plugins were looked for, and what was found.
    assert!(
        out.contains(&format!(
            "plugins: asked {} --list --json",
            release.join("sparse-host").display()
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("  searched {}, ", release.display())),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "wordcount 0.1.0: {} (for source, split, count)",
            release.join("libwordcount.so").display()
        )),
        "{out}"
    );
    let f = dir.0.join("topologies/bad.clj").display().to_string();
    for e in [
        // A misspelt type, with the closest name and what the plugin exports.
        format!(
            "error: {f}:2:5: component `spout`: `wordcount::SentenceSpuot`: plugin `wordcount` \
             ({}) exports no component `SentenceSpuot` (did you mean \
             `wordcount::SentenceSpout`?); it exports: SentenceSpout (spout), SentenceSplitter \
             (bolt), WordCounter (bolt)",
            release.join("libwordcount.so").display()
        ),
        // A misspelt crate, with the folders searched.
        format!(
            "error: {f}:4:5: component `typo`: `wordcont::SentenceSpout`: no plugin \
             `libwordcont.so` (did you mean `wordcount::SentenceSpout`?) in {}, ",
            release.display()
        ),
        // A stream the component does not declare, and a subscription to it.
        format!(
            "error: {f}:3:5: component `source`: stream `other`: the topology declares fields \
             [x] but `wordcount::SentenceSpout` does not declare stream `other` (it declares: \
             `default` [sentence])"
        ),
        format!(
            "error: {f}:5:5: component `split`: input from `source` stream `other`: \
             `wordcount::SentenceSpout` (which `source` runs) declares no stream `other`"
        ),
        // Fields that differ.
        format!(
            "error: {f}:5:5: component `split`: stream `default`: the topology declares fields \
             [words] but `wordcount::SentenceSplitter` declares [word]"
        ),
        // A spout used as a bolt.
        format!(
            "error: {f}:6:5: component `count`: `wordcount::SentenceSpout` is a spout, but the \
             topology declares `count` as a bolt"
        ),
    ] {
        assert!(err.contains(&e), "missing {e:?} in\n{err}");
    }
    assert!(err.trim_end().ends_with("bad.clj: 6 errors"), "{err}");
}

#[test]
fn flux_and_the_repository_topology_pass_against_the_built_plugins() {
    let root = crate::repo_root();
    for name in ["wordcount.clj", "wordcount.yaml"] {
        let o = sparse_with_host(&root, &["check", "--no-build", "-n", name]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{name}: {out}\n{err}");
        assert!(
            out.contains("libwordcount.so (for sentence-spout, sentence-splitter, word-counter)"),
            "{out}"
        );
        assert!(out.trim_end().ends_with("ok"), "{out}");
        assert!(!err.contains("warning"), "{err}");
    }

    // The same mistake in Flux: a differing field list, at the component's line.
    let yaml = std::fs::read_to_string(root.join("topologies/wordcount.yaml"))
        .unwrap()
        .replace("- [\"word\", \"count\"]", "- [\"word\", \"total\"]");
    let dir = project("check-flux", &[("wc.yaml", &yaml)]);
    let o = sparse_with_host(&dir.0, &["check", "--no-build"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "wc.yaml:21:9: component `word-counter`: stream `default`: the topology declares \
             fields [word, total] but `wordcount::WordCounter` declares [word, count]"
        ),
        "{err}"
    );
}

#[test]
fn python_topologies_need_no_plugins_and_build_nothing() {
    let dir = project(
        "check-python",
        &[(
            "py.clj",
            r#"(defn py [options]
  [{"s" (python-spout-spec options "spouts.words.WordSpout" ["word"])}
   {"b" (python-bolt-spec options {"s" ["word"]} "bolts.count.Counter" ["word" "count"])}])"#,
        )],
    );
    // Builds by default, but there is nothing to build: no cargo needed (PATH is empty).
    std::fs::write(dir.0.join("Cargo.toml"), "not read").unwrap();
    let o = sparse_without_host(&dir.0, &["check"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(
        out.contains("plugins: none needed (no component runs sparse-host)"),
        "{out}"
    );
    assert!(err.is_empty(), "{err}");
}

#[test]
fn without_sparse_host_the_rust_components_are_not_checked_and_it_says_so() {
    let dir = project("check-nohost", &[("bad.clj", BAD)]);
    let o = sparse_without_host(&dir.0, &["check", "--no-build"]);
    let (out, err) = text(&o);
    // Only the Storm rules decide; the warning says what was not checked and where it looked.
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(
        err.contains(&format!(
            "[WARN] the Rust components were not checked against their plugins: no \
             sparse-host in {}, next to sparse, or on PATH",
            dir.0.join("no-target/release").display()
        )),
        "{err}"
    );
    assert!(out.trim_end().ends_with("ok"), "{out}");
}

/// A workspace with two plugin crates: `stalep` (whose library is a copy of
/// libwordcount.so, older than its `src/lib.rs`) and `freshp` (never built), with its own
/// target folder holding the release `sparse-host`.
fn stale_workspace() -> TempDir {
    ensure_release_binaries();
    let dir = project(
        "check-stale",
        &[(
            "stale.clj",
            r#"(defn stale [options]
  [{"s" (rust-spout-spec options "stalep::SentenceSpout" ["sentence"])}
   {"b" (rust-bolt-spec options {"s" :shuffle} "freshp::Splitter" ["word"])}])"#,
        )],
    );
    let root = &dir.0;
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nresolver = \"3\"\nmembers = [\"plugins/*\"]\n",
    )
    .unwrap();
    for p in ["stalep", "freshp"] {
        std::fs::create_dir_all(root.join(format!("plugins/{p}/src"))).unwrap();
        std::fs::write(
            root.join(format!("plugins/{p}/Cargo.toml")),
            format!(
                "[package]\nname = \"{p}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
                 [lib]\ncrate-type = [\"cdylib\", \"rlib\"]\n"
            ),
        )
        .unwrap();
        std::fs::write(root.join(format!("plugins/{p}/src/lib.rs")), "").unwrap();
    }
    let release = root.join("target/release");
    std::fs::create_dir_all(&release).unwrap();
    let from = target_dir().join("release");
    std::fs::copy(from.join("sparse-host"), release.join("sparse-host")).unwrap();
    let lib = release.join("libstalep.so");
    std::fs::copy(from.join("libwordcount.so"), &lib).unwrap();
    // Manifests two hours old, the library one: only `src/lib.rs` changed after the build.
    let ago = |h: u64| SystemTime::now() - Duration::from_secs(3600 * h);
    let touch = |p: &Path, t: SystemTime| {
        let f = std::fs::File::options().write(true).open(p).unwrap();
        f.set_modified(t).unwrap();
    };
    touch(&root.join("Cargo.toml"), ago(2));
    touch(&root.join("plugins/stalep/Cargo.toml"), ago(2));
    touch(&lib, ago(1));
    dir
}

#[test]
fn no_build_says_which_plugins_are_stale_or_not_built() {
    let dir = stale_workspace();
    let root = &dir.0;
    let o = Command::new(env!("CARGO_BIN_EXE_sparse"))
        .args(["check", "--no-build"])
        .current_dir(root)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("SPARSE_PLUGIN_PATH")
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let lib = root.join("target/release/libstalep.so");
    assert!(
        err.contains(&format!(
            "[WARN] {} is older than its sources ({} changed since it was built)",
            lib.display(),
            root.join("plugins/stalep/src/lib.rs").display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "stale.clj:3:5: component `b`: `freshp::Splitter` not checked against its plugin: \
             `freshp` ({}) is not built",
            root.join("plugins/freshp/Cargo.toml").display()
        )),
        "{err}"
    );
    // Rebuilt (here: touched) after the edit, the warning goes.
    std::fs::File::options()
        .write(true)
        .open(&lib)
        .unwrap()
        .set_modified(SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_sparse"))
        .args(["check", "--no-build"])
        .current_dir(root)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("SPARSE_PLUGIN_PATH")
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(!err.contains("older than its sources"), "{err}");
}

#[test]
fn a_failed_build_exits_4_and_still_reports_the_topology_errors() {
    let dir = project(
        "check-build-fails",
        &[(
            "b.clj",
            r#"(defn b [options]
  [{"s" (rust-spout-spec options "wordcount::SentenceSpout" ["sentence"])}
   {"c" (rust-bolt-spec options {"s" ["nope"]} "wordcount::WordCounter" ["word" "count"])}])"#,
        )],
    );
    std::fs::write(dir.0.join("Cargo.toml"), "this is not a manifest").unwrap();
    let o = sparse_with_host(&dir.0, &["check"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(4), "{out}\n{err}");
    assert!(
        err.contains("[INFO] cargo build --profile release (in "),
        "{err}"
    );
    assert!(
        err.contains(
            "b.clj:3:5: component `c`: input from `s` stream `default`: fields grouping on `nope`"
        ),
        "{err}"
    );
    assert!(
        err.contains("error: cargo build --profile release failed"),
        "{err}"
    );
}
