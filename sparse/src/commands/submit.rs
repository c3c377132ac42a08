//! `sparse submit`: build the topology jar ([`sparse_deploy::jar`]) and submit it to the
//! environment's Nimbus through Storm's own client ([`sparse_deploy::storm`]).
//!
//! Steps: resolve project, topology, environment and conf ([`sparse_deploy::storm::conf`]); choose
//! the Storm client; run `pre_submit` hooks (a failure aborts); `cargo build --profile
//! release` (unless `--no-build`, or another `--profile`); choose and check the
//! `sparse-host` and plugins as `sparse jar` does ([`sparse_project::artifacts`]); write the jar
//! (Flux embedded from the client's flux-core, unless
//! `--no-flux-core`); with `-f`, kill a running topology of that name and wait until Nimbus
//! no longer lists it; submit; run `post_submit` hooks.
//!
//! streamparse's flags work as there: `-N/--override_name NAME` submits under another
//! topology name (the YAML handed to Flux gets that `name:`); `-i/--inactive` deploys it
//! deactivated (Flux's `--inactive`); `-j/--local_jar_path JAR` submits a jar made earlier
//! by `sparse jar` instead of building one (its root `<name>.yaml` is read, this submit's
//! conf is laid over its `config:`); `--timeout MS` is the Storm client's Thrift timeout.
//!
//! Exit statuses besides the common ones: 4 the release build failed, 5 the Storm client
//! failed (Nimbus unreachable, name already running without `-f`, rejected topology), 6 a
//! hook failed.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::cli::{BuildArgs, CliError, CliResult, CommonArgs, EXIT_HOOK, Parallelism};
use sparse_project::config::HookCommand;
use sparse_deploy::jar::{self, JarRequest};
use sparse_deploy::storm::client::Client;
use sparse_deploy::storm::conf::submit_conf;
use sparse_deploy::storm::hooks::{self, HookContext, HookKind};
use sparse_deploy::storm;
use sparse_topology::flux;

/// Exit status: the release build failed.
pub const EXIT_BUILD_FAILED: i32 = crate::cli::EXIT_BUILD_FAILED;

/// Flags of `sparse submit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `-n`, `--config`, `-e`, `-o`, `-d`.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Kill a running topology of the same name first, and wait until it is gone.
    #[arg(short = 'f', long = "force")]
    pub force: bool,
    /// Seconds Storm waits between deactivating and removing the old topology (with `-f`).
    #[arg(long = "wait", value_name = "SECS", default_value_t = 5)]
    pub wait: u32,
    /// `-p`, `-w`, `-a`.
    #[command(flatten)]
    pub parallelism: Parallelism,
    /// `--no-build`, `--profile`.
    #[command(flatten)]
    pub build: BuildArgs,
    /// Do not embed flux-core in the jar (the cluster must provide Flux).
    #[arg(long = "no-flux-core")]
    pub no_flux_core: bool,
    /// Keep Storm's JSON serializer: do not compile and pack sparse's fast-wire serializer.
    #[arg(long = "json-wire")]
    pub json_wire: bool,
    /// Submit under this topology name instead of the topology's own (streamparse's
    /// `-N`; `-f` then replaces a running topology of this name).
    #[arg(
        short = 'N',
        long = "override_name",
        visible_alias = "override-name",
        value_name = "NAME",
        value_parser = parse_topology_name
    )]
    pub override_name: Option<String>,
    /// Deploy the topology deactivated: its spouts do not run until it is activated
    /// (`storm activate NAME`); `sparse list` shows it INACTIVE.
    #[arg(short = 'i', long = "inactive")]
    pub inactive: bool,
    /// Submit this jar (made by `sparse jar`) instead of building one; its Flux YAML is
    /// read from the jar, and this submit's options are laid over the jar's `config:`.
    #[arg(
        short = 'j',
        long = "local_jar_path",
        visible_alias = "local-jar-path",
        value_name = "JAR",
        conflicts_with_all = ["no_build", "no_flux_core"]
    )]
    pub local_jar_path: Option<PathBuf>,
    /// Thrift socket timeout of the Storm client talking to Nimbus, in milliseconds
    /// (Storm's `storm.thrift.socket.timeout.ms`; default: Storm's own).
    #[arg(long = "timeout", value_name = "MS", value_parser = clap::value_parser!(u32).range(1..))]
    pub timeout: Option<u32>,
}

/// Checks a topology name the way Storm's `Utils.validateTopologyName` does (no `/`, `.`,
/// `:` or `\\`, not blank), so a bad `-N` fails before the build, not at Nimbus.
pub fn parse_topology_name(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        return Err("a topology name cannot be empty".into());
    }
    if let Some(c) = s.chars().find(|c| ['/', '.', ':', '\\'].contains(c)) {
        return Err(format!(
            "Storm does not accept `{c}` in a topology name (`{s}`)"
        ));
    }
    Ok(s.to_string())
}

/// The Flux YAML inside a jar made by `sparse jar`: the `.yaml` entry at its root (the one
/// named `<stem>.yaml` when there are several). Returns the entry name and its text.
pub fn yaml_in_jar(jar: &Path, stem: &str) -> Result<(String, String), String> {
    let file = std::fs::File::open(jar).map_err(|e| format!("cannot open {}: {e}", jar.display()))?;
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| format!("{} is not a jar (zip) file: {e}", jar.display()))?;
    let mut yamls: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| !n.contains('/') && (n.ends_with(".yaml") || n.ends_with(".yml")))
        .map(|n| n.into_owned())
        .collect();
    yamls.sort();
    let wanted = format!("{stem}.yaml");
    let name = match yamls.as_slice() {
        [] => {
            return Err(format!(
                "{} holds no Flux YAML at its root: make it with `sparse jar`",
                jar.display()
            ));
        }
        [one] => one.clone(),
        many if many.contains(&wanted) => wanted,
        many => {
            return Err(format!(
                "{} holds several Flux YAML files ({}) and none is {wanted}",
                jar.display(),
                many.join(", ")
            ));
        }
    };
    let mut text = String::new();
    zip.by_name(&name)
        .map_err(|e| format!("cannot read {name} in {}: {e}", jar.display()))?
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read {name} in {}: {e}", jar.display()))?;
    Ok((name, text))
}

/// The Flux YAML `yaml` (read from `origin`) renamed to `name` and with `conf` laid over
/// its `config:`; written to a private temporary file that is removed when dropped.
pub fn rewritten_yaml(
    yaml: &str,
    origin: &Path,
    name: Option<&str>,
    conf: &Map<String, Value>,
) -> Result<tempfile::NamedTempFile, String> {
    let mut t = flux::load_str(yaml, origin)
        .map_err(|e| format!("cannot read the Flux YAML {}: {e}", origin.display()))?;
    if let Some(n) = name {
        t.name = n.to_string();
    }
    t.conf.extend(conf.iter().map(|(k, v)| (k.clone(), v.clone())));
    let text = flux::to_yaml(&t).map_err(|e| e.to_string())?;
    let mut file = tempfile::Builder::new()
        .prefix("sparse-submit-")
        .suffix(".yaml")
        .tempfile()
        .map_err(|e| format!("cannot create a temporary file: {e}"))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", file.path().display()))?;
    Ok(file)
}

fn hook_list<'a>(
    top: &'a Option<HookCommand>,
    env: &'a Option<HookCommand>,
) -> Vec<&'a HookCommand> {
    top.iter().chain(env.iter()).collect()
}

/// Runs `sparse submit`.
pub fn exec(args: Args) -> CliResult {
    let cwd = super::cwd()?;
    let resolved = super::resolve_checked(&args.common, &cwd)?;
    let topology = &resolved.opened.topology;
    let project = &resolved.opened.project;
    let root = project.root.clone();
    let nimbus = storm::nimbus_for(resolved.env.as_ref())?.with_timeout(args.timeout);
    let (env_name, env) = resolved.env.clone().unwrap_or_default();
    let client = Client::resolve(env.storm_classpath.as_deref())?;
    let par = args.parallelism.into();
    let conf = submit_conf(&resolved.options, resolved.env.as_ref().map(|e| &e.1), par);
    if let Some(p) = conf.get("streamparse.log.path").and_then(|v| v.as_str()) {
        log::info!("components log to {p} on the workers");
    }

    let name = args
        .override_name
        .clone()
        .unwrap_or_else(|| topology.name.clone());
    let usage = |m: String| CliError::new(crate::cli::EXIT_USAGE, format!("error: {m}"));
    let mut ctx = HookContext {
        root: root.clone(),
        topology: name.clone(),
        env_name: env_name.clone(),
        env_json: serde_json::to_string(&env).unwrap_or_default(),
        nimbus: nimbus.to_string(),
        options_json: serde_json::Value::Object(conf.clone()).to_string(),
        jar: None,
    };
    let hook_err = |e: hooks::HookError| CliError::new(EXIT_HOOK, format!("error: {e}"));
    hooks::run(
        &hook_list(&project.config.pre_submit, &env.pre_submit),
        HookKind::PreSubmit,
        &ctx,
    )
    .map_err(hook_err)?;

    // The jar and the YAML handed to Flux; `_rewritten` keeps a temporary YAML alive.
    let (jar_path, yaml_path, _rewritten) = if let Some(jar) = &args.local_jar_path {
        let (entry, text) = yaml_in_jar(jar, &jar::file_stem(&topology.name)).map_err(usage)?;
        let origin = jar.join(&entry);
        let file = rewritten_yaml(&text, &origin, args.override_name.as_deref(), &conf)
            .map_err(usage)?;
        log::info!(
            "prebuilt jar {} (its {entry}, this submit's options laid over)",
            jar.display()
        );
        (jar.clone(), file.path().to_path_buf(), Some(file))
    } else {
        let out = build_topology_jar(&args, project, topology, conf, &client)?;
        log::info!("jar {}", out.jar.display());
        match &args.override_name {
            Some(n) => {
                let text = std::fs::read_to_string(&out.yaml).map_err(|e| {
                    CliError::new(
                        crate::cli::EXIT_IO,
                        format!("error: cannot read {}: {e}", out.yaml.display()),
                    )
                })?;
                let file =
                    rewritten_yaml(&text, &out.yaml, Some(n), &Map::new()).map_err(usage)?;
                (out.jar, file.path().to_path_buf(), Some(file))
            }
            None => (out.jar, out.yaml, None),
        }
    };

    let name = &name;
    if args.force {
        let running = client.list(&nimbus)?;
        if running.iter().any(|t| &t.name == name) {
            log::info!(
                "-f: killing the running `{name}` (wait {} s) and waiting until it is gone",
                args.wait
            );
            client.kill(&nimbus, name, args.wait)?;
            client.wait_gone(
                &nimbus,
                name,
                Duration::from_secs(u64::from(args.wait) + 120),
            )?;
        }
    }
    log::info!(
        "submitting `{name}` to {nimbus} with {}",
        client.describe()
    );
    client.submit(&nimbus, name, &jar_path, &yaml_path, args.inactive)?;
    let state = if args.inactive { " (inactive)" } else { "" };
    log::info!("`{name}` submitted to {nimbus}{state}");

    ctx.jar = Some(jar_path.clone());
    hooks::run(
        &hook_list(&project.config.post_submit, &env.post_submit),
        HookKind::PostSubmit,
        &ctx,
    )
    .map_err(|e| {
        CliError::new(
            EXIT_HOOK,
            format!("error: {e} (the topology `{name}` was submitted and is running)"),
        )
    })?;
    Ok(())
}

/// Builds the project and writes the topology jar, as `sparse jar` does.
fn build_topology_jar(
    args: &Args,
    project: &sparse_project::Project,
    topology: &sparse_topology::model::Topology,
    conf: Map<String, Value>,
    client: &Client,
) -> Result<jar::JarOutput, CliError> {
    let root = project.root.as_path();
    let built =
        super::build_and_choose(root, topology, &args.build, EXIT_BUILD_FAILED, true)?;
    let flux_core = if args.no_flux_core {
        None
    } else if std::env::var_os("SPARSE_FLUX_CORE_JAR").is_some() {
        jar::find_flux_core(root)
    } else {
        client.flux_core_jar().or_else(|| jar::find_flux_core(root))
    };
    if flux_core.is_none() && !args.no_flux_core {
        log::info!(
            "note: no flux-core jar found: the jar does not embed Flux, so the cluster must provide it"
        );
    }
    let mut req = JarRequest::new(
        topology.clone(),
        conf,
        built.dir.clone(),
        jar::default_output(root, &topology.name),
    );
    req.flux_core = flux_core;
    req.host = built.host.map(|h| h.path);
    req.fast_wire = super::fast_wire_classes(root, args.json_wire, &req.conf);
    req.jvm_jars = super::resolve_jvm_jars(project, topology)?;
    super::build_jar(&req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topology_names_storm_rejects() {
        assert_eq!(parse_topology_name("wc-2").unwrap(), "wc-2");
        for bad in ["", " ", "a/b", "a.b", "a:b", "a\\b"] {
            assert!(parse_topology_name(bad).is_err(), "{bad:?}");
        }
    }

    const YAML: &str = "name: wc\nconfig:\n  a: 1\n  b: x\nspouts:\n- id: s\n  className: org.apache.storm.flux.wrappers.spouts.FluxShellSpout\n  constructorArgs:\n  - [sh, sparse-host.sh, --component, p::S]\n  - [word]\n  parallelism: 1\nbolts: []\nstreams: []\n";

    #[test]
    fn a_rewritten_yaml_has_the_new_name_and_the_overlaid_conf() {
        let mut conf = Map::new();
        conf.insert("b".into(), Value::from("y"));
        conf.insert("c".into(), Value::from(true));
        let file = rewritten_yaml(YAML, Path::new("wc.yaml"), Some("wc-blue"), &conf).unwrap();
        let path = file.path().to_path_buf();
        let t = flux::load_str(&std::fs::read_to_string(&path).unwrap(), &path).unwrap();
        assert_eq!(t.name, "wc-blue");
        assert_eq!(t.conf["a"], 1);
        assert_eq!(t.conf["b"], "y");
        assert_eq!(t.conf["c"], true);
        assert_eq!(t.components.len(), 1);
        drop(file);
        assert!(!path.exists(), "the temporary YAML is removed");
    }

    #[test]
    fn the_yaml_is_found_in_a_jar() {
        let dir = tempfile::tempdir().unwrap();
        let jar = dir.path().join("wc.jar");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&jar).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        w.start_file("wc.yaml", opts).unwrap();
        std::io::Write::write_all(&mut w, YAML.as_bytes()).unwrap();
        w.start_file("resources/other.yaml", opts).unwrap();
        w.finish().unwrap();
        let (entry, text) = yaml_in_jar(&jar, "anything").unwrap();
        assert_eq!((entry.as_str(), text.as_str()), ("wc.yaml", YAML));

        let empty = dir.path().join("empty.jar");
        zip::ZipWriter::new(std::fs::File::create(&empty).unwrap())
            .finish()
            .unwrap();
        let e = yaml_in_jar(&empty, "wc").unwrap_err();
        assert!(e.contains("no Flux YAML"), "{e}");
        let e = yaml_in_jar(&dir.path().join("missing.jar"), "wc").unwrap_err();
        assert!(e.contains("cannot open"), "{e}");
        std::fs::write(dir.path().join("x.jar"), "not a zip").unwrap();
        let e = yaml_in_jar(&dir.path().join("x.jar"), "wc").unwrap_err();
        assert!(e.contains("not a jar"), "{e}");
    }
}
