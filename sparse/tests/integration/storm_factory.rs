//! Flux's `factory`/`factoryArgs` as sparse writes them, run through Storm 2.8.3's own Flux
//! (`--dry-run`: parse, build every object, print the topology): the objects a DSL
//! `:factory` declares are built by Flux, and a factory that does not exist fails there.

use std::process::Command;

use crate::storm_support::{storm_available, storm_deps};

const TOPOLOGY: &str = r#"(ns fac (:use [streamparse.specs]))
(jvm-object "timeout" {:class "java.time.Duration" :factory "FACTORY" :factory-args [5]})
(jvm-object "names" {:class "java.util.List" :factory "of" :factory-args ["a" (ref "timeout")]})
(defn fac [options]
  [{"words" (jvm-spout-spec {:class "org.apache.storm.testing.TestWordSpout" :args [true]} ["word"])}
   {"sink" (jvm-bolt-spec {"words" :shuffle} {:class "org.apache.storm.testing.TestWordCounter"} ["word" "count"])}])
"#;

/// Flux `--dry-run` on the YAML sparse writes for TOPOLOGY with `factory`: its output.
fn dry_run(factory: &str) -> (bool, String) {
    let t = sparse_topology::clj::load_str(
        &TOPOLOGY.replace("FACTORY", factory),
        std::path::Path::new("fac.clj"),
    )
    .unwrap();
    assert!(sparse_topology::validate::validate(&t).is_empty());
    let yaml = sparse_topology::flux::to_yaml(&t).unwrap();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("storm-factory");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("fac-{factory}.yaml"));
    std::fs::write(&file, yaml).unwrap();
    let o = Command::new("java")
        .arg("-cp")
        .arg(format!("{}/lib/*", storm_deps().display()))
        .args(["org.apache.storm.flux.Flux", "--dry-run", "--no-splash"])
        .arg(&file)
        .output()
        .unwrap();
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn flux_builds_the_factory_objects_sparse_writes() {
    if !storm_available("flux_builds_the_factory_objects_sparse_writes") {
        return;
    }
    let (ok, out) = dry_run("ofSeconds");
    assert!(ok, "{out}");
    assert!(out.contains("words --SHUFFLE--> sink"), "{out}");
    // Flux really calls the factory: a missing one fails the build.
    let (ok, out) = dry_run("ofNothing");
    assert!(!ok, "{out}");
    assert!(
        out.contains("Couldn't find a suitable static method 'ofNothing'"),
        "{out}"
    );
}
