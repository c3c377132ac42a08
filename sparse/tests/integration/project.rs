use serde_json::json;
use sparse::cli::{CommonArgs, TopologyArgs, parse_option};
use sparse_project::{ProjectError, Selection, resolve};

fn args(name: Option<&str>, env: Option<&str>, opts: &[&str], debug: bool) -> Selection {
    CommonArgs {
        topology: TopologyArgs {
            name: name.map(str::to_string),
            ..TopologyArgs::default()
        },
        environment: env.map(str::to_string),
        options: opts.iter().map(|o| parse_option(o).unwrap()).collect(),
        debug,
    }
    .selection()
}

#[test]
fn resolves_repo_project_from_a_subfolder() {
    let cwd = crate::repo_root().join("topologies");
    let r = resolve(
        &args(
            Some("wordcount.yaml"),
            None,
            &["topology.workers=2", "x=hello"],
            true,
        ),
        &cwd,
    )
    .unwrap();
    assert_eq!(r.opened.project.root, crate::repo_root());
    assert!(r.opened.path.ends_with("topologies/wordcount.yaml"));
    assert!(r.opened.notes.is_empty());
    let (env_name, env) = r.env.unwrap();
    assert_eq!(env_name, "prod");
    assert_eq!(env.nimbus.as_deref(), Some("localhost:6627"));
    assert_eq!(env.log.unwrap().max_bytes, Some(1_000_000));
    assert_eq!(r.options["topology.workers"], json!(2));
    assert_eq!(r.options["x"], json!("hello"));
    assert_eq!(r.options["topology.debug"], json!(true));
}

#[test]
fn stem_prefers_clj_and_unknown_env_is_an_error() {
    let cwd = crate::repo_root();
    let r = resolve(&args(Some("wordcount"), Some("prod"), &[], false), &cwd).unwrap();
    assert!(r.opened.path.ends_with("wordcount.clj"));
    assert_eq!(r.opened.notes.len(), 1);
    assert!(!r.options.contains_key("topology.debug"));
    let e = resolve(&args(Some("wordcount"), Some("staging"), &[], false), &cwd).unwrap_err();
    assert!(matches!(e, ProjectError::UnknownEnv { .. }), "{e}");
    assert!(e.to_string().contains("available: prod"));
}
