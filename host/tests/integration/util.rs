//! Helpers: locating the binaries and plugins, running `sparse-host` on a transcript.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

/// The `sparse-host` binary under test.
pub fn host_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_sparse-host"))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The directory holding `libwordcount.so` (built on first use, next to sparse-host).
pub fn plugin_dir() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = host_bin().parent().unwrap().to_path_buf();
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut build = Command::new(cargo);
            build.args(["build", "-q", "-p", "wordcount"]);
            // Under a sanitizer (.ci/sanitize.sh) the host is built for an explicit target,
            // with flags the plugin must share: build it the same way.
            if let Ok(target) = std::env::var("SPARSE_TEST_CARGO_TARGET") {
                build.args(["--target", &target]);
            }
            let status = build
                .current_dir(workspace_root())
                .status()
                .expect("run cargo build -p wordcount");
            assert!(status.success(), "cargo build -p wordcount failed");
            assert!(
                dir.join("libwordcount.so").is_file(),
                "no libwordcount.so in {}",
                dir.display()
            );
            dir
        })
        .clone()
}

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "sparse-host-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Compiles the C fixture plugin with extra `-D` flags into `dir/lib<name>.so`.
pub fn c_plugin(dir: &Path, name: &str, defines: &[&str]) -> PathBuf {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let include = workspace_root().join("plugin-api/include");
    let out = dir.join(format!("lib{name}.so"));
    let status = Command::new("cc")
        .args([
            "-Wall",
            "-Wextra",
            "-Werror",
            "-shared",
            "-fPIC",
            "-fvisibility=hidden",
        ])
        .args(defines)
        .arg("-I")
        .arg(&include)
        .arg(fixtures.join("c_plugin.c"))
        .arg("-o")
        .arg(&out)
        .status()
        .expect("run cc");
    assert!(status.success(), "compiling the C fixture failed");
    out
}

/// A setup message for a task.
pub fn handshake(pid_dir: &Path, component: &str, task: i64, conf: Value) -> String {
    let mut c = json!({"topology.name": "wordcount", "topology.debug": false});
    if let Value::Object(extra) = conf {
        c.as_object_mut().unwrap().extend(extra);
    }
    let msg = json!({
        "conf": c,
        "pidDir": pid_dir,
        "context": {
            "task->component": {"1": "__acker", "2": component},
            "taskid": task,
            "componentid": component,
        },
    });
    format!("{msg}\nend\n")
}

/// Frames each JSON text as a message.
pub fn frames(msgs: &[&str]) -> String {
    msgs.iter().map(|m| format!("{m}\nend\n")).collect()
}

/// What one run of `sparse-host` did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub messages: Vec<Value>,
}

impl Run {
    /// The messages after the pid reply with this `command`.
    pub fn commands(&self, command: &str) -> Vec<&Value> {
        self.messages
            .iter()
            .filter(|m| m["command"] == command)
            .collect()
    }

    /// The `command` of every message after the pid reply, `log` commands left out.
    pub fn command_names(&self) -> Vec<String> {
        self.messages
            .iter()
            .skip(1)
            .filter(|m| m["command"] != "log")
            .map(|m| m["command"].as_str().unwrap_or("?").to_owned())
            .collect()
    }
}

/// Splits protocol output into messages (each must be JSON).
pub fn parse_messages(stdout: &str) -> Vec<Value> {
    stdout
        .split("\nend\n")
        .filter(|m| !m.trim().is_empty())
        .map(|m| serde_json::from_str(m).unwrap_or_else(|e| panic!("not JSON: {m:?}: {e}")))
        .collect()
}

/// Starts sparse-host with `args` and piped stdin, stdout and stderr.
pub fn spawn_host<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Child {
    Command::new(host_bin())
        .args(args)
        .env_remove("SPARSE_PLUGIN_PATH")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sparse-host")
}

/// Runs sparse-host with `args`, feeding `input` and closing stdin; kills it if it hangs.
pub fn run_host(args: &[&str], input: &str) -> Run {
    run_host_env(args, input, &[])
}

/// How long one run of the host may take before it counts as hung (debug builds on a
/// loaded 2-core machine are slow: the million-record test takes tens of seconds there).
const HANG_GUARD: Duration = Duration::from_secs(180);

/// Like [`run_host`], with extra environment variables.
pub fn run_host_env(args: &[&str], input: &str, env: &[(&str, &str)]) -> Run {
    let out = run_host_bytes(args, input.as_bytes(), env);
    let stdout = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    Run {
        code: out.status.code().unwrap_or(-1),
        messages: if stdout.starts_with('{') {
            parse_messages(&stdout)
        } else {
            Vec::new()
        },
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs sparse-host with `args` and `env`, feeding `input` (any bytes) and closing stdin;
/// kills it if it hangs. Its stdout is returned as bytes (the fast wire is not text).
pub fn run_host_bytes(args: &[&str], input: &[u8], env: &[(&str, &str)]) -> std::process::Output {
    let mut child = Command::new(host_bin())
        .args(args)
        .envs(env.iter().copied())
        .env_remove("SPARSE_PLUGIN_PATH")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sparse-host");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    // A hang guard, not a timing goal: a host still running after HANG_GUARD is killed
    // (the test then fails on its exit code). It never fires once the host has exited, so
    // it cannot hit a reused pid.
    let pid = child.id();
    let (exited, wait_exit) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        // Dropping the sender (the host exited) ends the wait with `Disconnected`.
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait_exit.recv_timeout(HANG_GUARD)
        {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    });
    let out = child.wait_with_output().expect("wait for sparse-host");
    drop(exited);
    watchdog.join().unwrap();
    writer.join().unwrap();
    out
}

/// `--component X --plugin-dir <wordcount dir>` as owned strings.
pub fn wordcount_args(component: &str) -> Vec<String> {
    vec![
        "--component".into(),
        format!("wordcount::{component}"),
        "--plugin-dir".into(),
        plugin_dir().display().to_string(),
    ]
}

/// Borrows a `Vec<String>` as `Vec<&str>`.
pub fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Builds the C fixture plugin into `dir` and runs its `Echo` bolt (task 2, component
/// `echo`, topology `t`) on `msgs`, with `conf` and `context` merged into the handshake.
pub fn run_c_echo(dir: &Path, defines: &[&str], conf: Value, context: Value, msgs: &[&str]) -> Run {
    c_plugin(dir, "c_echo", defines);
    let mut c = json!({"topology.name": "t"});
    c.as_object_mut()
        .unwrap()
        .extend(conf.as_object().unwrap().clone());
    let mut ctx = json!({"taskid": 2, "componentid": "echo", "task->component": {"2": "echo"}});
    ctx.as_object_mut()
        .unwrap()
        .extend(context.as_object().unwrap().clone());
    let hs = json!({"conf": c, "pidDir": dir.join("pids"), "context": ctx});
    let input = format!("{hs}\nend\n{}", frames(msgs));
    let d = dir.display().to_string();
    run_host(&["--component", "c_echo::Echo", "--plugin-dir", &d], &input)
}

/// The handshake of word-counter task 3 with `conf`, then one tuple `["storm"]`.
pub fn counter_input(dir: &Path, conf: Value) -> String {
    let mut input = handshake(dir, "word-counter", 3, conf);
    input.push_str(&frames(&[
        r#"{"id":"1","comp":"s","stream":"default","task":5,"tuple":["storm"]}"#,
    ]));
    input
}
