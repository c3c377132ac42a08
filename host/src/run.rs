//! The `sparse-host` program: arguments → plugin → handshake → logging → loop.

use std::io::Write;
use std::path::PathBuf;

use plugin_api::abi::{ABI_MAJOR, ABI_MINOR, HostApiV1};

use crate::cli::Args;
use crate::error::{HostError, exit};
use crate::logging::{self, LogHandle, LogSettings, TaskIdentity};
use crate::plugin::{ComponentName, Plugin, search_dirs};
use crate::session::{self, Session};

/// Runs `sparse-host` with parsed arguments; returns the exit code.
pub fn main_with(args: Args) -> i32 {
    match run(args) {
        Ok(()) => exit::OK,
        Err(e) => {
            log::error!("{e}");
            crate::warn_stderr!("sparse-host: {e}");
            log::logger().flush();
            e.exit_code()
        }
    }
}

/// A host table for plugin discovery (`--list` and loading): the entry symbol only checks
/// it; instances get the session's own table.
static DISCOVERY_API: HostApiV1 = {
    unsafe extern "C" fn emit(_: *mut std::ffi::c_void, _: *const plugin_api::abi::EmitV1) -> i32 {
        plugin_api::abi::STATUS_INVALID
    }
    unsafe extern "C" fn id(_: *mut std::ffi::c_void, _: plugin_api::abi::SpStr) -> i32 {
        plugin_api::abi::STATUS_INVALID
    }
    unsafe extern "C" fn log(
        _: *mut std::ffi::c_void,
        _: u32,
        _: plugin_api::abi::SpStr,
        _: plugin_api::abi::SpStr,
    ) {
    }
    unsafe extern "C" fn report(_: *mut std::ffi::c_void, _: plugin_api::abi::SpStr) {}
    unsafe extern "C" fn metrics(
        _: *mut std::ffi::c_void,
        _: plugin_api::abi::SpStr,
        _: plugin_api::abi::SpStr,
    ) -> i32 {
        plugin_api::abi::STATUS_INVALID
    }
    unsafe extern "C" fn level(_: *mut std::ffi::c_void) -> u32 {
        0
    }
    HostApiV1 {
        struct_size: std::mem::size_of::<HostApiV1>(),
        abi_major: ABI_MAJOR,
        abi_minor: ABI_MINOR,
        emit,
        ack: id,
        fail: id,
        log,
        report_error: report,
        metrics,
        max_log_level: level,
    }
};

fn run(args: Args) -> Result<(), HostError> {
    let protocol_out = crate::stdio::take_stdout_for_protocol()
        .map_err(|e| HostError::Io(format!("cannot set up the protocol stream on stdout: {e}")))?;
    let dirs = search_dirs(&args.plugin_dirs);
    if args.list {
        return list(&dirs, args.json, protocol_out);
    }
    let name = ComponentName::parse(args.component.as_deref().unwrap_or_default())?;
    // `sparse::NAME` is built in (see `builtin`); anything else comes from a plugin.
    let (component, plugin) = match crate::builtin::component(&name.component) {
        Some(c) if name.krate == crate::builtin::CRATE => (c, None),
        _ => {
            let path = crate::plugin::find_library(&name.library_file(), &dirs)?;
            let plugin = Plugin::load(&path, &DISCOVERY_API)?;
            (plugin.component(&name.component)?, Some(plugin))
        }
    };
    let origin = plugin.as_ref().map_or_else(
        || "built into sparse-host".to_owned(),
        |p| {
            format!(
                "plugin {} {} from {}",
                p.name(),
                p.version(),
                p.path.display()
            )
        },
    );

    let stdin = std::io::stdin().lock();
    let mut session = Session::new(stdin, protocol_out);
    // `SPARSE_WIRE=json` declines the fast wire when Storm offers it (for comparison and
    // debugging); anything else accepts it.
    session.set_force_json(std::env::var("SPARSE_WIRE").is_ok_and(|w| w == "json"));
    let info = session.handshake()?;
    let result = (|| {
        let conf: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&info.conf)
            .map_err(|e| {
                HostError::Protocol(format!("the handshake conf is not a JSON object: {e}"))
            })?;
        let context: serde_json::Value = serde_json::from_str(&info.context)
            .map_err(|e| HostError::Protocol(format!("the handshake context is not JSON: {e}")))?;
        let mut settings =
            LogSettings::from_conf(&conf).map_err(|e| HostError::Config(e.to_string()))?;
        if settings.path.is_none() {
            // Under a Storm worker, log next to worker.log, where the logviewer serves it.
            settings.path =
                logging::worker_dir::worker_log_dir(std::path::Path::new(&info.pid_dir));
        }
        if let Some(limit) = max_frame_bytes(&conf)? {
            session.set_max_frame(limit);
        }
        let id = TaskIdentity {
            topology: conf
                .get("topology.name")
                .and_then(|v| v.as_str())
                .unwrap_or("topology")
                .to_owned(),
            component: context
                .get("componentid")
                .and_then(|v| v.as_str())
                .unwrap_or(&name.component)
                .to_owned(),
            task_id: context.get("taskid").and_then(|v| v.as_i64()).unwrap_or(0),
            pid: std::process::id(),
        };
        let handle = logging::init(&settings, &id).map_err(|e| HostError::Config(e.to_string()))?;
        let handle: &'static LogHandle = Box::leak(Box::new(handle));
        session::install_log(handle);
        crate::signals::flush_on_termination(handle);
        session.set_log(handle);
        session.set_declared_streams(&context);
        log::info!(
            "sparse-host {} running {}::{} ({}, {origin}), task {}, pid {}, {} wire",
            env!("CARGO_PKG_VERSION"),
            name.krate,
            component.name(),
            component.kind_name(),
            id.task_id,
            id.pid,
            if session.is_fast() { "fast" } else { "JSON" }
        );
        Ok(())
    })();
    if let Err(e) = result {
        // Storm shows `error` commands in its UI; the pid reply has gone out already.
        let _ = session.send_error(&format!("sparse-host: {e}"));
        return Err(e);
    }
    let r = session::run_component(session, component, &info);
    if let Ok(()) = r {
        log::info!("end of input: stopping");
    }
    log::logger().flush();
    r
}

fn list(dirs: &[PathBuf], json: bool, mut out: std::fs::File) -> Result<(), HostError> {
    let found = crate::plugin::discover(dirs, &DISCOVERY_API);
    let text = if json {
        let cwd = std::env::current_dir()
            .map_err(|e| HostError::Io(format!("cannot read the current directory: {e}")))?;
        format!("{}\n", found.to_json(&cwd))
    } else {
        // Other shared libraries may sit next to plugins: say so, skip them.
        for (path, e) in &found.skipped {
            crate::warn_stderr!("sparse-host: skipping {}: {e}", path.display());
        }
        found.to_text()
    };
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| HostError::Io(format!("writing the list: {e}")))
}

/// `sparse.max.frame.bytes`: the largest message the host accepts from Storm (default
/// [`sparse_protocol::frame::DEFAULT_MAX_FRAME`]); a whole number from 1024 up.
fn max_frame_bytes(
    conf: &serde_json::Map<String, serde_json::Value>,
) -> Result<Option<usize>, HostError> {
    const KEY: &str = "sparse.max.frame.bytes";
    let Some(v) = conf.get(KEY).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let n = match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match n.and_then(|n| usize::try_from(n).ok()) {
        Some(n) if n >= 1024 => Ok(Some(n)),
        _ => Err(HostError::Config(format!(
            "{KEY} must be a whole number of bytes, at least 1024; got {v}"
        ))),
    }
}
