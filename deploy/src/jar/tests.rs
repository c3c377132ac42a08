use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use serde_json::json;
use zip::write::SimpleFileOptions;
use zip::{ZipArchive, ZipWriter};

use super::flux_core::version_key;
use super::write::{copy_flux_entry, manifest};
use super::*;
use sparse_topology::clj;

const TOPO: &str = r#"
(ns t (:use [streamparse.specs]))
(defn t [options]
  [{"s" (rust-spout-spec options "alpha::S" ["x"])}
   {"a" (rust-bolt-spec options {"s" :shuffle} "alpha::A" {"jobs" (direct-stream ["n"])})
    "b" (rust-bolt-spec options {["a" "jobs"] :direct} "beta-x::B" [] :p 2)
    "py" (python-bolt-spec options {"s" :shuffle} "bolts.P" [])}])
"#;

fn topo() -> Topology {
    clj::load_str(TOPO, Path::new("t.clj")).unwrap()
}

struct Tmp(PathBuf);
impl Tmp {
    fn new(name: &str) -> Tmp {
        let p = std::env::temp_dir().join(format!("sparse-jar-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
}
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn names(jar: &Path) -> Vec<String> {
    let mut z = ZipArchive::new(File::open(jar).unwrap()).unwrap();
    (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().unwrap().into_owned())
        .collect()
}

fn read(jar: &Path, name: &str) -> String {
    let mut z = ZipArchive::new(File::open(jar).unwrap()).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// A release folder with a fake host and the plugins of [`TOPO`].
fn release(dir: &Path) -> PathBuf {
    let r = dir.join("release");
    std::fs::create_dir_all(&r).unwrap();
    std::fs::write(r.join("sparse-host"), b"\x7fELF fake host").unwrap();
    std::fs::write(r.join(plugin_file("alpha")), b"alpha").unwrap();
    std::fs::write(r.join(plugin_file("beta-x")), b"beta").unwrap();
    r
}

/// A fake flux-core jar: manifest, signature, a class, top-level resources/.
fn fake_flux(dir: &Path) -> PathBuf {
    let p = dir.join("flux-core-9.9.9.jar");
    let mut z = ZipWriter::new(File::create(&p).unwrap());
    for (n, b) in [
        ("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n"),
        ("META-INF/X.SF", "sig"),
        ("META-INF/LICENSE", "license"),
        ("org/apache/storm/flux/Flux.class", "class"),
        ("resources/storm.py", "py"),
        ("resources/", ""),
    ] {
        if n.ends_with('/') {
            z.add_directory(n, SimpleFileOptions::default()).unwrap();
        } else {
            z.start_file(n, SimpleFileOptions::default()).unwrap();
            z.write_all(b.as_bytes()).unwrap();
        }
    }
    z.finish().unwrap();
    p
}

#[test]
fn rewrites_host_commands_and_direct_streams() {
    let jt = jar_topology(&topo(), &Map::new()).unwrap();
    let t = &jt.topology;
    let Exec::Shell { command } = &t.component("a").unwrap().exec else {
        panic!()
    };
    assert_eq!(
        command,
        &["sh", "sparse-host.sh", "--component", "alpha::A"]
    );
    assert!(!t.component("a").unwrap().outputs["jobs"].direct);
    // `[]` outputs are dropped (Flux cannot call setDefaultStream([])).
    assert!(t.component("b").unwrap().outputs.is_empty());
    assert_eq!(
        jt.crates,
        [
            ("s".to_string(), "alpha".to_string()),
            ("a".into(), "alpha".into()),
            ("b".into(), "beta-x".into()),
        ]
    );
    assert_eq!(jt.warnings.len(), 1);
    assert!(jt.warnings[0].contains("`py` runs `streamparse_run bolts.P`"));
    // The YAML is writable, and reads back with the DIRECT grouping.
    let yaml = flux::to_yaml(t).unwrap();
    assert!(yaml.contains("type: DIRECT"), "{yaml}");
    let back = flux::load_str(&yaml, Path::new("t.yaml")).unwrap();
    assert_eq!(back.component("b").unwrap().inputs[0].stream, "jobs");
}

#[test]
fn component_crate_forms() {
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(component_crate(&s(&["--component", "a::B"])), Some("a"));
    assert_eq!(component_crate(&s(&["-c", "a-b::B"])), Some("a-b"));
    assert_eq!(component_crate(&s(&["--component=x::Y"])), Some("x"));
    assert_eq!(component_crate(&s(&["--list"])), None);
}

#[test]
fn host_command_without_component_is_an_error() {
    let mut t = topo();
    t.components[0].exec = Exec::Shell {
        command: vec!["sparse-host".into(), "--list".into()],
    };
    let e = jar_topology(&t, &Map::new()).unwrap_err();
    assert!(e.to_string().contains("component `s`"), "{e}");
}

#[test]
fn builds_the_layout_with_flux_classes_but_not_flux_resources() {
    let tmp = Tmp::new("layout");
    let mut conf = Map::new();
    conf.insert("topology.workers".into(), json!(1));
    let mut req = JarRequest::new(topo(), conf, release(&tmp.0), tmp.0.join("out/t.jar"));
    req.flux_core = Some(fake_flux(&tmp.0));
    let out = build(&req).unwrap();
    let got = names(&out.jar);
    assert_eq!(got, out.entries);
    assert_eq!(
        &got[..8],
        [
            "META-INF/MANIFEST.MF",
            "t.yaml",
            "resources/",
            "resources/sparse-host.sh",
            "resources/sparse-host",
            "resources/plugins/",
            "resources/plugins/libalpha.so",
            "resources/plugins/libbeta_x.so",
        ]
    );
    assert_eq!(
        &got[8..],
        ["META-INF/LICENSE", "org/apache/storm/flux/Flux.class"]
    );
    assert_eq!(out.plugins, ["alpha", "beta_x"]);
    assert_eq!(out.flux_resource, "/t.yaml");
    let mf = read(&out.jar, "META-INF/MANIFEST.MF");
    assert!(
        mf.contains("Main-Class: org.apache.storm.flux.Flux\r\n"),
        "{mf}"
    );
    let yaml = read(&out.jar, "t.yaml");
    assert_eq!(yaml, std::fs::read_to_string(&out.yaml).unwrap());
    assert_eq!(out.yaml, tmp.0.join("out/t.yaml"));
    assert!(yaml.contains("topology.workers: 1"), "{yaml}");
    assert!(yaml.contains("- sparse-host.sh"), "{yaml}");
    assert_eq!(read(&out.jar, "resources/sparse-host.sh"), LAUNCHER);
    // Reproducible: the same request gives the same bytes.
    let first = std::fs::read(&out.jar).unwrap();
    build(&req).unwrap();
    assert_eq!(first, std::fs::read(&out.jar).unwrap());
}

#[test]
fn without_flux_core_there_is_no_main_class() {
    let tmp = Tmp::new("noflux");
    let req = JarRequest::new(topo(), Map::new(), release(&tmp.0), tmp.0.join("t.jar"));
    let out = build(&req).unwrap();
    assert!(!read(&out.jar, "META-INF/MANIFEST.MF").contains("Main-Class"));
    assert_eq!(out.entries.len(), 8);
}

#[test]
fn missing_files_are_named() {
    let tmp = Tmp::new("missing");
    let r = release(&tmp.0);
    std::fs::remove_file(r.join(plugin_file("beta-x"))).unwrap();
    let req = JarRequest::new(topo(), Map::new(), r.clone(), tmp.0.join("t.jar"));
    let e = build(&req).unwrap_err().to_string();
    assert!(
        e.contains("component `b`") && e.contains("libbeta_x.so"),
        "{e}"
    );
    assert!(!tmp.0.join("t.jar").exists());
    std::fs::remove_file(r.join("sparse-host")).unwrap();
    let e = build(&req).unwrap_err().to_string();
    let want = format!("no sparse-host at {}", r.join("sparse-host").display());
    assert!(e.contains(&want), "{e}");
}

#[test]
fn the_given_host_is_packed_and_reported() {
    let tmp = Tmp::new("host");
    let r = release(&tmp.0);
    let installed = tmp.0.join("bin/sparse-host");
    std::fs::create_dir_all(installed.parent().unwrap()).unwrap();
    std::fs::write(&installed, b"installed host").unwrap();
    let mut req = JarRequest::new(topo(), Map::new(), r.clone(), tmp.0.join("t.jar"));
    req.host = Some(installed.clone());
    let out = build(&req).unwrap();
    assert_eq!(read(&out.jar, "resources/sparse-host"), "installed host");
    assert_eq!(out.host, installed);
    assert_eq!(
        out.plugin_files,
        [r.join(plugin_file("alpha")), r.join(plugin_file("beta-x"))]
    );
    // Without it, the build folder's copy.
    req.host = None;
    let out = build(&req).unwrap();
    assert_eq!(out.host, r.join("sparse-host"));
    assert!(read(&out.jar, "resources/sparse-host").contains("fake host"));
}

#[test]
fn manifest_lines_are_wrapped_at_72_bytes() {
    let long = "x".repeat(200);
    let mf = manifest(&long, "/a.yaml", false);
    for line in mf.split("\r\n") {
        assert!(line.len() <= 72, "{line}");
    }
    let unwrapped = mf.replace("\r\n ", "");
    assert!(unwrapped.contains(&format!("Sparse-Topology: {long}\r\n")));
}

#[test]
fn flux_entry_filter_and_versions() {
    assert!(!copy_flux_entry("resources/storm.py"));
    assert!(!copy_flux_entry("META-INF/MANIFEST.MF"));
    assert!(!copy_flux_entry("META-INF/FOO.RSA"));
    assert!(copy_flux_entry("META-INF/maven/x/pom.xml"));
    // The worker's own slf4j-api wins; flux-core's shaded copy is left out.
    assert!(!copy_flux_entry("org/slf4j/Logger.class"));
    assert!(!copy_flux_entry(
        "META-INF/maven/org.slf4j/slf4j-api/pom.xml"
    ));
    assert!(copy_flux_entry("org/apache/storm/flux/Flux.class"));
    assert!(version_key("2.8.3") > version_key("2.8.3-SNAPSHOT"));
    assert!(version_key("2.10.0") > version_key("2.8.3"));
    assert_eq!(file_stem("a b/c"), "a_b_c");
    assert_eq!(file_stem(""), "topology");
}

/// The launcher gives the host its exec bit and `exec`s it with the same arguments.
#[test]
fn launcher_makes_the_host_executable_and_execs_it() {
    let tmp = Tmp::new("launcher");
    let res = tmp.0.join("resources");
    std::fs::create_dir_all(&res).unwrap();
    std::fs::write(res.join(LAUNCHER_NAME), LAUNCHER).unwrap();
    std::fs::write(res.join("sparse-host"), "#!/bin/sh\necho \"host:$*\"\n").unwrap();
    std::fs::set_permissions(res.join("sparse-host"), PermissionsExt::from_mode(0o644)).unwrap();
    let out = Command::new("sh")
        .args([LAUNCHER_NAME, "--component", "a::B"])
        .current_dir(&res)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "host:--component a::B\n"
    );
    let mode = std::fs::metadata(res.join("sparse-host"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o100, 0o100);
}

/// The `className` of each bolt in the jar's YAML (`id` → `className`), from its lines.
fn bolt_classes(yaml: &str) -> std::collections::BTreeMap<String, String> {
    let bolts = &yaml[yaml.find("\nbolts:").expect("a bolts section")..];
    let bolts = &bolts[..bolts.find("\nstreams:").unwrap_or(bolts.len())];
    let mut out = std::collections::BTreeMap::new();
    let mut id = None;
    for line in bolts.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("- id: ").or(line.strip_prefix("id: ")) {
            id = Some(v.trim_matches('"').to_string());
        } else if let Some(v) = line.strip_prefix("className: ") {
            out.insert(id.take().expect("id before className"), v.to_string());
        }
    }
    out
}

fn fast_wire_classes() -> Vec<serializer::ClassFile> {
    [
        "ShellComponent",
        "SparseSerializer",
        "SparseShellBolt",
        "SparseShellBolt$WriteQueue",
    ]
    .iter()
    .map(|n| serializer::ClassFile {
        entry: format!("org/sparse/storm/{n}.class"),
        bytes: vec![0xca, 0xfe, 0xba, 0xbe],
    })
    .collect()
}

#[test]
fn on_the_fast_wire_sparse_host_components_get_sparse_s_shell_classes() {
    let tmp = Tmp::new("fastbolt");
    let mut req = JarRequest::new(topo(), Map::new(), release(&tmp.0), tmp.0.join("t.jar"));
    req.fast_wire = Some(fast_wire_classes());
    let out = build(&req).unwrap();
    assert_eq!(
        out.multilang_serializer.as_deref(),
        Some(serializer::CLASS_NAME)
    );
    for c in fast_wire_classes() {
        assert!(out.entries.contains(&c.entry), "{:?}", out.entries);
    }
    let yaml = read(&out.jar, "t.yaml");
    let classes = bolt_classes(&yaml);
    assert_eq!(classes["a"], serializer::SHELL_BOLT_CLASS_NAME);
    assert_eq!(classes["b"], serializer::SHELL_BOLT_CLASS_NAME);
    // A Python bolt keeps Storm's shell bolt (and JSON).
    assert_eq!(classes["py"], sparse_topology::flux::SHELL_BOLT_CLASS);
    assert!(
        yaml.contains(&format!(
            "className: {}",
            serializer::SHELL_SPOUT_CLASS_NAME
        )),
        "{yaml}"
    );
    assert!(
        !yaml.contains(sparse_topology::flux::SHELL_SPOUT_CLASS),
        "{yaml}"
    );
    // The YAML still reads back as the same shell components (what `sparse run` needs).
    let back = sparse_topology::flux::load_str(&yaml, Path::new("t.yaml")).unwrap();
    for id in ["s", "b"] {
        let c = back.components.iter().find(|c| c.id == id).unwrap();
        assert!(
            matches!(&c.exec, Exec::Shell { command } if command[..2] == ["sh", LAUNCHER_NAME]),
            "{:?}",
            c.exec
        );
    }
}

#[test]
fn another_serializer_or_json_keeps_storm_s_shell_classes() {
    let tmp = Tmp::new("jsonbolt");
    // --json-wire: no classes at all.
    let req = JarRequest::new(topo(), Map::new(), release(&tmp.0), tmp.0.join("j.jar"));
    let out = build(&req).unwrap();
    assert!(
        bolt_classes(&read(&out.jar, "t.yaml"))
            .values()
            .all(|c| c == sparse_topology::flux::SHELL_BOLT_CLASS)
    );
    // The conf names Storm's serializer: sparse's bolt would be harmless, but is not used.
    let mut conf = Map::new();
    conf.insert(
        serializer::CONF_KEY.into(),
        json!("org.apache.storm.multilang.JsonSerializer"),
    );
    let mut req = JarRequest::new(topo(), conf, release(&tmp.0), tmp.0.join("k.jar"));
    req.fast_wire = Some(fast_wire_classes());
    let out = build(&req).unwrap();
    assert!(
        bolt_classes(&read(&out.jar, "t.yaml"))
            .values()
            .all(|c| c == sparse_topology::flux::SHELL_BOLT_CLASS)
    );
}

#[test]
fn a_bad_spout_pipeline_is_refused_naming_key_and_value() {
    let tmp = Tmp::new("pipeline");
    for (v, ok) in [
        (json!(8), true),
        (json!(1), true),
        (json!(0), false),
        (json!("8"), false),
        (json!(2.5), false),
    ] {
        let mut conf = Map::new();
        conf.insert(SPOUT_PIPELINE_KEY.into(), v.clone());
        let req = JarRequest::new(topo(), conf, release(&tmp.0), tmp.0.join("p.jar"));
        match build(&req) {
            Ok(_) => assert!(ok, "{v} accepted"),
            Err(e) => {
                assert!(!ok, "{v}: {e}");
                let msg = e.to_string();
                assert!(
                    msg.contains("the topology conf")
                        && msg.contains(SPOUT_PIPELINE_KEY)
                        && msg.contains(&v.to_string()),
                    "{msg}"
                );
            }
        }
    }
}
