//! `sparse quickstart`: the files and the printed tree, name and folder refusals, `sparse
//! check` on the generated topology (before and after a build, against its plugin), and the
//! end-to-end run of a generated project built outside the repository (and moved after it
//! was generated).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::run_wordcount::{
    ensure_release_binaries, summary_component, target_dir as test_target_dir,
};

/// Runs `sparse` in `dir`; projects it creates build against this checkout's plugin API
/// (`SPARSE_PLUGIN_API_PATH`), since the published crate may not be this version.
fn sparse(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sparse"))
        .args(args)
        .current_dir(dir)
        .env(
            "SPARSE_PLUGIN_API_PATH",
            crate::repo_root().join("plugin-api"),
        )
        .output()
        .unwrap()
}

/// Without a path asked for, the project depends on the published crate by version.
#[test]
fn depends_on_the_published_plugin_api_unless_a_path_is_asked_for() {
    let dir = scratch("published");
    let o = Command::new(env!("CARGO_BIN_EXE_sparse"))
        .args(["quickstart", "pub-dep"])
        .current_dir(&dir)
        .env_remove("SPARSE_PLUGIN_API_PATH")
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let cargo = std::fs::read_to_string(dir.join("pub-dep/Cargo.toml")).unwrap();
    let want = format!(
        r#"plugin-api = {{ package = "sparse-plugin-api", version = "{}" }}"#,
        env!("CARGO_PKG_VERSION")
    );
    assert!(cargo.lines().any(|l| l == want), "{cargo}");
    assert!(out.contains("sparse-plugin-api"), "{out}");
    // A path that is not the plugin API is refused before anything is written.
    let o = sparse(&dir, &["quickstart", "bad-path", "--plugin-api-path", "/"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("--plugin-api-path /"), "{}", text(&o).1);
    assert!(!dir.join("bad-path").exists());
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// An empty scratch folder under the target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("quickstart-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every folder (with a trailing `/`) and file under `dir`, relative to its parent.
fn walk(dir: &Path) -> BTreeSet<String> {
    fn go(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                out.insert(format!("{rel}/"));
                go(base, &p, out);
            } else {
                out.insert(rel);
            }
        }
    }
    let base = dir.parent().unwrap();
    let mut out = BTreeSet::from([format!("{}/", dir.file_name().unwrap().to_string_lossy())]);
    go(base, dir, &mut out);
    out
}

/// Runs `sparse quickstart NAME --path DIR` and asserts it succeeded.
fn quickstart(dir: &Path, name: &str) -> PathBuf {
    let o = sparse(dir, &["quickstart", name, "--path", dir.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    dir.join(name)
}

#[test]
fn creates_the_project_and_prints_its_tree() {
    let dir = scratch("tree");
    let o = sparse(&dir, &["quickstart", "my-topo"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let root = dir.join("my-topo");

    // The printed `create` lines are exactly what is on disk.
    let printed: BTreeSet<String> = out
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("create  "))
        .map(str::to_string)
        .collect();
    assert_eq!(printed, walk(&root), "{out}");
    for f in [
        "my-topo/Cargo.toml",
        "my-topo/plugins/my-topo/Cargo.toml",
        "my-topo/plugins/my-topo/src/lib.rs",
        "my-topo/topologies/my-topo.clj",
        "my-topo/config.json",
        "my-topo/.gitignore",
        "my-topo/README.md",
    ] {
        assert!(printed.contains(f), "{f} not printed:\n{out}");
    }
    // One topology file: no Flux twin to drift from it (`sparse jar` writes the YAML).
    assert_eq!(
        std::fs::read_dir(root.join("topologies")).unwrap().count(),
        1,
        "{out}"
    );
    assert!(out.starts_with("Creating your my-topo sparse project..."));
    assert!(out.contains("    cd my-topo\n    sparse run\n"), "{out}");

    // The workspace: resolver 3, edition 2024, plugin-api by the absolute path asked for.
    let cargo = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(cargo.contains("resolver = \"3\""), "{cargo}");
    assert!(cargo.contains("edition = \"2024\""), "{cargo}");
    let api = cargo
        .lines()
        .find_map(|l| l.strip_prefix("plugin-api = { package = \"sparse-plugin-api\", path = \""))
        .and_then(|l| l.strip_suffix("\" }"))
        .unwrap_or_else(|| panic!("no plugin-api path dependency:\n{cargo}"));
    assert!(Path::new(api).is_absolute(), "{api}");
    assert_eq!(
        Path::new(api),
        crate::repo_root()
            .join("plugin-api")
            .canonicalize()
            .unwrap()
    );
    let plugin = std::fs::read_to_string(root.join("plugins/my-topo/Cargo.toml")).unwrap();
    assert!(
        plugin.contains(r#"crate-type = ["cdylib", "rlib"]"#),
        "{plugin}"
    );

    let ignore = std::fs::read_to_string(root.join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "target/"), "{ignore}");
    assert!(ignore.lines().any(|l| l == "logs/"), "{ignore}");

    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("config.json")).unwrap()).unwrap();
    assert!(config["envs"]["prod"]["log"].is_object(), "{config}");

    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let repo = crate::repo_root().canonicalize().unwrap();
    for s in [
        format!("cargo install --path {}/sparse", repo.display()),
        format!("cargo install --path {}/host", repo.display()),
        "sparse run".to_string(),
        "sparse check".to_string(),
        "cargo test".to_string(),
    ] {
        assert!(readme.contains(&s), "README lacks {s:?}");
    }
}

#[test]
fn generated_topology_passes_check_before_it_is_built() {
    let root = quickstart(&scratch("check"), "wc_demo");
    ensure_release_binaries();
    // Not built yet, with --no-build: the Storm rules pass and the check says that the
    // plugin is not built rather than that it does not exist. The repository's release
    // sparse-host answers (CARGO_TARGET_DIR), which has no libwc_demo.so.
    let check = |dir: &Path| {
        Command::new(env!("CARGO_BIN_EXE_sparse"))
            .args(["check", "--no-build"])
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", test_target_dir())
            .env_remove("SPARSE_PLUGIN_PATH")
            .output()
            .unwrap()
    };
    let o = check(&root);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("wc_demo.clj"), "{out}");
    assert!(
        out.contains("topology `wc_demo`: 2 components, 3 tasks"),
        "{out}"
    );
    assert!(out.contains("sparse-host --component wc_demo::WordSpout"));
    assert!(out.contains("topology.tick.tuple.freq.secs=2"), "{out}");
    assert!(out.trim_end().ends_with("ok"), "{out}");
    let manifest = root.join("plugins/wc_demo/Cargo.toml");
    assert!(
        err.contains(&format!(
            "component `word-spout`: `wc_demo::WordSpout` not checked against its plugin: \
             `wc_demo` ({}) is not built",
            manifest.display()
        )),
        "{err}"
    );
    // One topology file: no note about choosing between twins.
    assert!(!err.contains("also found"), "{err}");

    // From a subfolder.
    let o = check(&root.join("plugins"));
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.trim_end().ends_with("ok"), "{out}");
}

#[test]
fn refuses_invalid_names() {
    let dir = scratch("names");
    for name in [
        "1abc",
        "my topo",
        "a.b",
        "../up",
        "WordCount",
        "fn",
        "async",
        "test",
        "std",
        "log",
        "plugin-api",
        "abc-",
        "x/y",
    ] {
        let o = sparse(&dir, &["quickstart", name]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {out}\n{err}");
        assert!(
            err.starts_with(&format!("error: invalid project name `{name}`: ")),
            "{name}: {err}"
        );
        assert!(out.is_empty(), "{name}: {out}");
    }
    // `-x` is taken for a flag: a usage error from the parser.
    let o = sparse(&dir, &["quickstart", "-x"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "something was created"
    );
}

#[test]
fn refuses_an_existing_path_or_a_missing_parent() {
    let dir = scratch("exists");
    std::fs::create_dir(dir.join("empty")).unwrap();
    std::fs::write(dir.join("file"), "keep me").unwrap();
    for name in ["empty", "file"] {
        let o = sparse(&dir, &["quickstart", name]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{out}\n{err}");
        assert!(err.contains("already exists"), "{err}");
    }
    assert_eq!(std::fs::read_dir(dir.join("empty")).unwrap().count(), 0);
    assert_eq!(
        std::fs::read_to_string(dir.join("file")).unwrap(),
        "keep me"
    );

    // A second quickstart of the same name is refused and changes nothing.
    let root = quickstart(&dir, "twice");
    std::fs::write(root.join("config.json"), "{}").unwrap();
    let o = sparse(&dir, &["quickstart", "twice"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(root.join("config.json")).unwrap(),
        "{}"
    );

    let missing = dir.join("no/such/dir");
    let o = sparse(
        &dir,
        &["quickstart", "abc", "--path", missing.to_str().unwrap()],
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("does not exist or is not a folder"), "{err}");
    assert!(!missing.exists());
}

/// The target folder of this build (`…/target`), for the shared build folders below.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs a command to completion, panicking with its output when it fails.
fn run_ok(cmd: &mut Command, what: &str) {
    let o = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let (out, err) = text(&o);
    assert!(
        o.status.success(),
        "{what} failed ({}):\n{out}\n{err}",
        o.status
    );
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The issue's end-to-end test: a project generated outside the repository, then moved,
/// passes its own unit tests and whole-topology test, builds, and `sparse run -t 5` acks tuples, with `sparse-host`
/// installed apart from the project (on `PATH`, as `cargo install` puts it).
///
/// Builds go to `<target>/quickstart-target` (the project) and `<target>/quickstart-host`
/// (`sparse-host`), kept between runs so they are incremental.
#[test]
fn generated_project_builds_and_runs() {
    // Outside the repository; left in place when the test fails, for a look.
    let base = std::env::temp_dir().join("sparse-quickstart-e2e");
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(base.join("moved")).unwrap();
    let first = quickstart(&base, "e2e_words");
    // Move the project after generating it: the absolute plugin-api path still holds.
    let root = base.join("moved/e2e_words");
    std::fs::rename(&first, &root).unwrap();

    let project_target = target_dir().join("quickstart-target");
    let host_target = target_dir().join("quickstart-host");
    // `cargo install --path <repo>/host`, without installing: its own target folder.
    run_ok(
        cargo()
            .args(["build", "--release", "-p", "sparse-host", "--manifest-path"])
            .arg(crate::repo_root().join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", &host_target),
        "cargo build --release -p sparse-host",
    );
    let host_bin = host_target.join("release");
    let path = std::env::join_paths(std::iter::once(host_bin.clone()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    // The unit tests and the whole-topology test, which finds sparse-host on PATH.
    let o = cargo()
        .args(["test"])
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", &project_target)
        .env("PATH", &path)
        .env_remove("SPARSE_HOST")
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert!(
        o.status.success(),
        "cargo test in the generated project:\n{out}\n{err}"
    );
    assert!(
        out.contains("test counts_a_fixed_list_of_words ... ok"),
        "the whole-topology test did not run:\n{out}"
    );
    run_ok(
        cargo()
            .args(["build", "--release"])
            .current_dir(&root)
            .env("CARGO_TARGET_DIR", &project_target),
        "cargo build --release in the generated project",
    );
    assert!(project_target.join("release/libe2e_words.so").is_file());

    let summary = base.join("summary.json");
    let o = Command::new(env!("CARGO_BIN_EXE_sparse"))
        .args(["run", "-t", "5", "--summary-json"])
        .arg(&summary)
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", &project_target)
        .env("PATH", &path)
        .output()
        .unwrap();
    let (out, err) = text(&o);
    if o.status.code() != Some(0) && err.contains("sparse-host") && err.contains("does not exist") {
        panic!(
            "`sparse run` cannot run a project outside the sparse repository yet: it looks for \
             sparse-host only at <project target>/release/sparse-host. It needs to (1) fall back \
             to the sparse-host next to the running `sparse` executable, then to `sparse-host` on \
             PATH (here {}), and (2) tell sparse-host where the project's plugins are: \
             SPARSE_PLUGIN_PATH=<project target>/release (or --plugin-dir), since the host's own \
             folder is not the project's target folder.\n--- stdout\n{out}\n--- stderr\n{err}",
            host_bin.display()
        );
    }
    assert_eq!(o.status.code(), Some(0), "sparse run failed:\n{out}\n{err}");
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(s["topology"], "e2e_words", "{s}");
    assert_eq!(s["stop_reason"], "duration", "{s}");
    let comp = |id: &str| summary_component(&s, id);
    let (spout, bolt) = (comp("word-spout"), comp("count-bolt"));
    assert!(spout["emitted"].as_u64().unwrap() > 0, "{s}");
    assert!(spout["acked"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(spout["failed"], 0, "{s}");
    assert!(bolt["acked"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(bolt["tasks"], 2, "{s}");
    // The tasks logged to the project's logs/ folder.
    assert!(
        std::fs::read_dir(root.join("logs")).unwrap().count() >= 3,
        "no task logs"
    );

    // `sparse check` as the user runs it: it builds (a no-op now), asks sparse-host, and
    // checks the topology against the plugin that was just built.
    let check = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_sparse"))
            .args(args)
            .current_dir(&root)
            .env("CARGO_TARGET_DIR", &project_target)
            .env("PATH", &path)
            .env_remove("SPARSE_PLUGIN_PATH")
            .output()
            .unwrap();
        let (out, err) = text(&o);
        (o.status.code(), out, err)
    };
    let lib = project_target.join("release/libe2e_words.so");
    let (code, out, err) = check(&["check"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains(&format!(
            "e2e_words 0.1.0: {} (for word-spout, count-bolt)",
            lib.display()
        )),
        "{out}"
    );
    assert!(!err.contains("warning"), "{err}");

    // An edit after the build: with --no-build the check says the library is older.
    let src = root.join("plugins/e2e_words/src/lib.rs");
    let mut code_text = std::fs::read_to_string(&src).unwrap();
    code_text.push_str("\n// edited after the build\n");
    std::fs::write(&src, code_text).unwrap();
    let (code, out, err) = check(&["check", "--no-build"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        err.contains(&format!(
            "[WARN] {} is older than its sources ({} changed since it was built)",
            lib.display(),
            src.display()
        )),
        "{err}"
    );

    // A misspelt component and different fields: errors at their line and column.
    let topo = root.join("topologies/e2e_words.clj");
    let clj = std::fs::read_to_string(&topo).unwrap();
    std::fs::write(
        &topo,
        clj.replace("e2e_words::WordCounter", "e2e_words::WordCount")
            .replace(r#"["word"])}"#, r#"["token"])}"#),
    )
    .unwrap();
    let (code, out, err) = check(&["check", "--no-build"]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        err.contains(&format!(
            "{}:18:6: component `count-bolt`: `e2e_words::WordCount`: plugin `e2e_words` ({}) \
             exports no component `WordCount` (did you mean `e2e_words::WordCounter`?)",
            topo.display(),
            lib.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(
            "11:6: component `word-spout`: stream `default`: the topology declares fields \
             [token] but `e2e_words::WordSpout` declares [word]"
        ),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&base);
}
