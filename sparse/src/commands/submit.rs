//! `sparse submit`: build the topology jar ([`crate::jar`]) and submit it to the
//! environment's Nimbus through Storm's own client ([`crate::storm`]).
//!
//! Steps: resolve project, topology, environment and conf ([`crate::storm::conf`]); choose
//! the Storm client; run `pre_submit` hooks (a failure aborts); `cargo build --profile
//! release` (unless `--no-build`, or another `--profile`); choose and check the
//! `sparse-host` and plugins as `sparse jar` does ([`crate::artifacts`]); write the jar
//! (Flux embedded from the client's flux-core, unless
//! `--no-flux-core`); with `-f`, kill a running topology of that name and wait until Nimbus
//! no longer lists it; submit; run `post_submit` hooks.
//!
//! Exit statuses besides the common ones: 4 the release build failed, 5 the Storm client
//! failed (Nimbus unreachable, name already running without `-f`, rejected topology), 6 a
//! hook failed.

use std::time::Duration;

use crate::cli::{BuildArgs, CliError, CliResult, CommonArgs};
use crate::config::HookCommand;
use crate::jar::{self, JarRequest};
use crate::storm::client::Client;
use crate::storm::conf::{Parallelism, submit_conf};
use crate::storm::hooks::{self, HookContext, HookKind};
use crate::storm::{self, EXIT_HOOK};

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
}

fn hook_list<'a>(
    top: &'a Option<HookCommand>,
    env: &'a Option<HookCommand>,
) -> Vec<&'a HookCommand> {
    top.iter().chain(env.iter()).collect()
}

/// Runs `sparse submit`.
pub fn exec(args: Args) -> CliResult {
    const LABEL: &str = "sparse submit";
    let cwd = super::cwd()?;
    let resolved = super::resolve_checked(&args.common, &cwd, false)?;
    let topology = &resolved.opened.topology;
    let project = &resolved.opened.project;
    let root = project.root.clone();
    let nimbus = storm::nimbus_for(resolved.env.as_ref())?;
    let (env_name, env) = resolved.env.clone().unwrap_or_default();
    let client = Client::resolve(env.storm_classpath.as_deref())?;
    let par = args.parallelism;
    let conf = submit_conf(&resolved.options, resolved.env.as_ref().map(|e| &e.1), par);
    if let Some(p) = conf.get("streamparse.log.path").and_then(|v| v.as_str()) {
        eprintln!("[{LABEL}] components log to {p} on the workers");
    }

    let mut ctx = HookContext {
        root: root.clone(),
        topology: topology.name.clone(),
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
        LABEL,
    )
    .map_err(hook_err)?;

    let built =
        super::build_and_choose(&root, topology, &args.build, LABEL, EXIT_BUILD_FAILED, true)?;
    let flux_core = if args.no_flux_core {
        None
    } else if std::env::var_os("SPARSE_FLUX_CORE_JAR").is_some() {
        jar::find_flux_core(&root)
    } else {
        client
            .flux_core_jar()
            .or_else(|| jar::find_flux_core(&root))
    };
    if flux_core.is_none() && !args.no_flux_core {
        eprintln!(
            "note: no flux-core jar found: the jar does not embed Flux, so the cluster must provide it"
        );
    }
    let mut req = JarRequest::new(
        topology.clone(),
        conf,
        built.dir.clone(),
        jar::default_output(&root, &topology.name),
    );
    req.flux_core = flux_core;
    req.host = built.host.map(|h| h.path);
    let out = super::build_jar(&req)?;
    eprintln!("[{LABEL}] jar {}", out.jar.display());

    let name = &topology.name;
    if args.force {
        let running = client.list(&nimbus)?;
        if running.iter().any(|t| &t.name == name) {
            eprintln!(
                "[{LABEL}] -f: killing the running `{name}` (wait {} s) and waiting until it is gone",
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
    eprintln!(
        "[{LABEL}] submitting `{name}` to {nimbus} with {}",
        client.describe()
    );
    client.submit(&nimbus, name, &out.jar, &out.yaml)?;
    eprintln!("[{LABEL}] `{name}` submitted to {nimbus}");

    ctx.jar = Some(out.jar.clone());
    hooks::run(
        &hook_list(&project.config.post_submit, &env.post_submit),
        HookKind::PostSubmit,
        &ctx,
        LABEL,
    )
    .map_err(|e| {
        CliError::new(
            EXIT_HOOK,
            format!("error: {e} (the topology `{name}` was submitted and is running)"),
        )
    })?;
    Ok(())
}
