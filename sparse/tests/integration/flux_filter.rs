//! `${...}` in a Flux YAML topology, through the `sparse` binary in a project made by
//! `sparse quickstart`: without `--filter`/`--env-filter` the text is kept and every
//! placeholder is reported; with them it is substituted as Flux does, so `check` sees the
//! values Flux would build with. The same project's JVM spout makes `sparse run` say it
//! runs the topology in Storm's LocalCluster.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A quickstart project (not built) with `topologies/filtered.yaml`: a JVM spout whose
/// parallelism, a grouping field and a conf value are placeholders.
fn project(folder: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(folder);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let o = sparse(&dir, &["quickstart", "fdemo"], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let root = dir.join("fdemo");
    std::fs::write(
        root.join("topologies/filtered.yaml"),
        r#"name: filtered
config:
  greeting: "${ENV-SPARSE_FILTER_GREETING}"
  sparse.jvm.outputs: {words: {default: [word]}}
spouts:
  - id: words
    className: org.apache.storm.testing.TestWordSpout
    parallelism: ${spout.parallelism}
bolts:
  - id: counter
    className: org.apache.storm.flux.wrappers.bolts.FluxShellBolt
    constructorArgs: [["sparse-host", "--component", "fdemo::WordCounter"], ["word", "count"]]
    parallelism: 2
streams:
  - from: words
    to: counter
    grouping:
      type: FIELDS
      args: ["${key.field}"]
"#,
    )
    .unwrap();
    std::fs::write(
        root.join("filter.properties"),
        "# values for filtered.yaml\nspout.parallelism = 3\nkey.field: word\n",
    )
    .unwrap();
    root
}

fn sparse(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sparse"));
    c.args(args)
        .current_dir(dir)
        .env(
            "SPARSE_PLUGIN_API_PATH",
            crate::repo_root().join("plugin-api"),
        )
        .env_remove("SPARSE_FILTER_GREETING");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn placeholders_are_reported_or_substituted_like_flux() {
    let root = project("flux-filter");
    // No filter: Flux would keep the text too; sparse says so for each placeholder, and the
    // parallelism, not being a number, is an error at its place.
    let o = sparse(&root, &["check", "--no-build", "-n", "filtered"], &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for p in [
        "${ENV-SPARSE_FILTER_GREETING}",
        "${spout.parallelism}",
        "${key.field}",
    ] {
        assert!(
            err.contains(&format!(
                "`{p}` is kept as written (sparse substitutes `${{...}}` only with --filter \
                 FILE and/or --env-filter"
            )),
            "{p}: {err}"
        );
    }
    assert!(err.contains("filtered.yaml:8:18: invalid i64"), "{err}");

    // With the properties file and the environment: what Flux would build.
    let o = sparse(
        &root,
        &[
            "check",
            "--no-build",
            "-n",
            "filtered",
            "--filter",
            "filter.properties",
            "--env-filter",
        ],
        &[("SPARSE_FILTER_GREETING", "héllo wörld")],
    );
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(!err.contains("kept as written"), "{err}");
    assert!(out.contains("conf: greeting=\"héllo wörld\""), "{out}");
    assert!(
        out.contains("executors 3 tasks 3  java org.apache.storm.testing.TestWordSpout"),
        "{out}"
    );
    assert!(out.contains("from  words/default (fields(word))"), "{out}");

    // A property missing from the file: kept, named, and the check fails on it.
    std::fs::write(root.join("filter.properties"), "spout.parallelism=3\n").unwrap();
    let o = sparse(
        &root,
        &[
            "check",
            "--no-build",
            "-n",
            "filtered",
            "--filter",
            "filter.properties",
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("`${key.field}` is kept as written (no value in ")
            && err.contains("filter.properties)"),
        "{err}"
    );
    // A filter file that does not exist: an error naming it.
    let o = sparse(
        &root,
        &["check", "--no-build", "--filter", "nope.properties"],
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("nope.properties"), "{err}");
}

/// `sparse run` on a topology with a JVM spout says first that it runs it in Storm's
/// LocalCluster and why; with no Storm jars to be found, it stops there, naming every place
/// it looked (the full run is `quickstart_storm::quickstart_project_runs_a_jvm_spout_in_local_cluster`).
#[test]
fn run_of_a_jvm_component_announces_local_cluster_and_names_missing_storm_jars() {
    let root = project("flux-filter-run");
    let o = sparse(
        &root,
        &[
            "run",
            "--no-build",
            "-n",
            "filtered",
            "--filter",
            "filter.properties",
            "--env-filter",
            "--time",
            "1",
        ],
        &[
            ("SPARSE_FILTER_GREETING", "hi"),
            ("STORM_HOME", "/nonexistent/storm"),
            ("SPARSE_STORM_CLASSPATH", ""),
            ("PATH", "/usr/bin:/bin"),
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`sparse run` runs this topology in Storm's LocalCluster (a JVM)")
            && err.contains(
                "component `words`: JVM class `org.apache.storm.testing.TestWordSpout` cannot run in the local runner"
            ),
        "{err}"
    );
    assert!(
        err.contains("error: no Storm jars to run LocalCluster with")
            && err.contains("SPARSE_STORM_CLASSPATH (not set)")
            && err.contains("/nonexistent/storm/lib (no storm-server jar)")
            && err.contains("storm/target/deps-*/lib (none)"),
        "{err}"
    );
}
