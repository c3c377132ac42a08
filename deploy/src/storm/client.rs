//! Running Storm's own client: the `storm` command, or `java` with the Storm client jars
//! (see the [module docs](crate::storm) for how one is chosen).
//!
//! Each operation builds a [`Command`] ([`Client::list_command`], [`Client::kill_command`],
//! [`Client::submit_command`]), runs it with its output captured, and turns a failure into a
//! [`StormError::Failed`] holding the client's error lines (exception messages) rather than
//! its whole log.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use super::{Nimbus, StormError, encode_storm_options};

/// The main class that submits a Flux topology.
pub const FLUX_MAIN: &str = "org.apache.storm.flux.Flux";
/// The class behind `storm list` (storm-core).
pub const LIST_MAIN: &str = "org.apache.storm.command.ListTopologies";
/// The class behind `storm kill` (storm-core).
pub const KILL_MAIN: &str = "org.apache.storm.command.KillTopology";

/// How Storm's client is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Client {
    /// A Storm distribution's `storm` command.
    Script {
        /// The `storm` executable.
        program: PathBuf,
    },
    /// `java` with the Storm client jars on the classpath.
    Java {
        /// The `java` executable (`$JAVA_HOME/bin/java`, else `java` from `PATH`).
        java: PathBuf,
        /// The classpath (`:`-separated; `dir/*` wildcards allowed, as `java` reads them).
        classpath: String,
    },
}

/// One row of `storm list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopologySummary {
    /// The topology name.
    pub name: String,
    /// `ACTIVE`, `INACTIVE`, `KILLED` or `REBALANCING`.
    pub status: String,
    /// Number of tasks.
    pub tasks: u32,
    /// Number of workers.
    pub workers: u32,
    /// Seconds since submission.
    pub uptime_secs: u64,
    /// The topology id (`<name>-<n>-<timestamp>`).
    pub id: String,
    /// The submitting user (may be empty).
    pub owner: String,
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn java_binary() -> PathBuf {
    std::env::var_os("JAVA_HOME")
        .map(|h| Path::new(&h).join("bin").join("java"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("java"))
}

/// What to tell a user who has neither a `storm` command nor a classpath.
pub const HOW_TO_GET_A_CLIENT: &str = "\
sparse needs Storm's client to talk to Nimbus, and found none:
  - install a Storm distribution and put its `storm` command on PATH, or
  - set SPARSE_STORM_CLASSPATH (or `storm_classpath` in the environment of config.json) to
    the Storm client jars: storm-client and its dependencies, storm-core (for list/kill) and
    flux-core (for submit), e.g. `<storm>/lib/*:<storm>/external/flux/*`, or set STORM_HOME.
    From a sparse checkout, `storm/cluster.sh start` (or storm/fetch.sh plus storm-core) fetches
    them from Maven Central and prints a ready SPARSE_STORM_CLASSPATH.";

impl Client {
    /// Chooses the client: `SPARSE_STORM_CLIENT` (`storm`, `java`, or the path of a `storm`
    /// script) when set, else the `storm` command on `PATH`, else `java` with the classpath
    /// from `SPARSE_STORM_CLASSPATH`, `config_classpath` (the environment's
    /// `storm_classpath`) or `$STORM_HOME/lib/*`.
    pub fn resolve(config_classpath: Option<&str>) -> Result<Client, StormError> {
        let forced = std::env::var("SPARSE_STORM_CLIENT").unwrap_or_default();
        let java = || -> Result<Client, StormError> {
            let classpath = std::env::var("SPARSE_STORM_CLASSPATH")
                .ok()
                .filter(|s| !s.trim().is_empty())
                .or_else(|| config_classpath.map(str::to_string))
                .or_else(|| {
                    std::env::var_os("STORM_HOME")
                        .map(|h| format!("{}/lib/*", Path::new(&h).display()))
                })
                .ok_or_else(|| StormError::NoClient(HOW_TO_GET_A_CLIENT.to_string()))?;
            Ok(Client::Java {
                java: java_binary(),
                classpath,
            })
        };
        match forced.as_str() {
            "" => match on_path("storm") {
                Some(program) => Ok(Client::Script { program }),
                None => java(),
            },
            "java" => java(),
            "storm" => on_path("storm")
                .map(|program| Client::Script { program })
                .ok_or_else(|| {
                    StormError::NoClient(
                        "SPARSE_STORM_CLIENT=storm, but there is no `storm` command on PATH".into(),
                    )
                }),
            path if Path::new(path).is_file() => Ok(Client::Script {
                program: PathBuf::from(path),
            }),
            other => Err(StormError::NoClient(format!(
                "SPARSE_STORM_CLIENT must be `storm`, `java` or the path of a storm command, not `{other}`"
            ))),
        }
    }

    /// A short description for progress messages (`the storm command /opt/storm/bin/storm`).
    pub fn describe(&self) -> String {
        match self {
            Client::Script { program } => format!("the storm command {}", program.display()),
            Client::Java { java, .. } => {
                format!("{} and the Storm client jars", java.display())
            }
        }
    }

    /// The flux-core jar on the Java classpath (or next to the `storm` command, in
    /// `<storm>/external/flux/`), for bundling Flux into the topology jar: a Storm cluster's
    /// worker classpath has no Flux.
    pub fn flux_core_jar(&self) -> Option<PathBuf> {
        let dirs: Vec<PathBuf> = match self {
            Client::Java { classpath, .. } => {
                let mut found = Vec::new();
                for entry in std::env::split_paths(classpath) {
                    let is_flux = |p: &Path| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("flux-core") && n.ends_with(".jar"))
                    };
                    if is_flux(&entry) && entry.is_file() {
                        return Some(entry);
                    }
                    if entry.file_name().is_some_and(|n| n == "*") {
                        found.extend(entry.parent().map(Path::to_path_buf));
                    } else if entry.is_dir() {
                        found.push(entry);
                    }
                }
                found
            }
            Client::Script { program } => {
                let real = std::fs::canonicalize(program).unwrap_or_else(|_| program.clone());
                real.parent()
                    .and_then(Path::parent)
                    .map(|home| vec![home.join("external/flux"), home.join("lib")])
                    .unwrap_or_default()
            }
        };
        dirs.iter().find_map(|d| {
            let mut jars: Vec<PathBuf> = std::fs::read_dir(d)
                .ok()?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("flux-core") && n.ends_with(".jar"))
                })
                .collect();
            jars.sort();
            jars.pop()
        })
    }

    fn java_command(
        java: &Path,
        classpath: &str,
        nimbus: &Nimbus,
        extra_props: &[String],
        main: &str,
    ) -> Command {
        let mut c = Command::new(java);
        c.arg("-cp").arg(classpath);
        c.args(extra_props);
        c.arg(format!(
            "-Dstorm.options={}",
            encode_storm_options(&nimbus.storm_options())
        ));
        c.arg(main);
        c
    }

    fn script_command(program: &Path, sub: &str, nimbus: &Nimbus) -> Command {
        let mut c = Command::new(program);
        c.arg(sub);
        for (k, v) in nimbus.storm_options() {
            c.arg("-c").arg(format!("{k}={v}"));
        }
        c
    }

    /// The command listing the topologies on `nimbus`.
    pub fn list_command(&self, nimbus: &Nimbus) -> Command {
        match self {
            Client::Script { program } => Self::script_command(program, "list", nimbus),
            Client::Java { java, classpath } => {
                Self::java_command(java, classpath, nimbus, &[], LIST_MAIN)
            }
        }
    }

    /// The command killing topology `name`, Storm waiting `wait_secs` between deactivating
    /// its spouts and shutting down its workers.
    pub fn kill_command(&self, nimbus: &Nimbus, name: &str, wait_secs: u32) -> Command {
        let mut c = match self {
            Client::Script { program } => Self::script_command(program, "kill", nimbus),
            Client::Java { java, classpath } => {
                Self::java_command(java, classpath, nimbus, &[], KILL_MAIN)
            }
        };
        // `NAME -w SECS`: the order Storm 1.x's kill_topology needs; 2.x accepts both.
        c.arg(name).arg("-w").arg(wait_secs.to_string());
        c
    }

    /// The command submitting the topology jar `jar` with the Flux definition `yaml` (a file
    /// on this machine; Flux reads it here and only the jar is uploaded). With `inactive`,
    /// Flux's `--inactive` deploys it deactivated (Storm lists it `INACTIVE` until
    /// activated, e.g. with `storm activate NAME`).
    pub fn submit_command(
        &self,
        nimbus: &Nimbus,
        jar: &Path,
        yaml: &Path,
        inactive: bool,
    ) -> Command {
        let mut c = match self {
            Client::Script { program } => {
                let mut c = Self::script_command(program, "jar", nimbus);
                c.arg(jar).arg(FLUX_MAIN);
                c
            }
            Client::Java { java, classpath } => {
                // The topology jar first: it carries flux-core when sparse jar bundled it.
                let cp = format!("{}:{classpath}", jar.display());
                Self::java_command(
                    java,
                    &cp,
                    nimbus,
                    &[format!("-Dstorm.jar={}", jar.display())],
                    FLUX_MAIN,
                )
            }
        };
        c.args(["--remote", "--no-splash"]);
        if inactive {
            c.arg("--inactive");
        }
        c.arg(yaml);
        c
    }

    /// Lists the topologies on `nimbus`.
    pub fn list(&self, nimbus: &Nimbus) -> Result<Vec<TopologySummary>, StormError> {
        let out = run(
            self.list_command(nimbus),
            &format!("listing topologies on {nimbus}"),
        )?;
        Ok(parse_list(&String::from_utf8_lossy(&out.stdout)))
    }

    /// Kills topology `name` (Storm deactivates it, waits `wait_secs`, then removes it).
    pub fn kill(&self, nimbus: &Nimbus, name: &str, wait_secs: u32) -> Result<(), StormError> {
        run(
            self.kill_command(nimbus, name, wait_secs),
            &format!("killing topology `{name}` on {nimbus}"),
        )
        .map(drop)
    }

    /// Submits `jar` + `yaml` to `nimbus` (deactivated with `inactive`); returns the
    /// client's output (stdout then stderr).
    pub fn submit(
        &self,
        nimbus: &Nimbus,
        name: &str,
        jar: &Path,
        yaml: &Path,
        inactive: bool,
    ) -> Result<String, StormError> {
        let out = run(
            self.submit_command(nimbus, jar, yaml, inactive),
            &format!("submitting `{name}` to {nimbus}"),
        )?;
        Ok(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }

    /// Polls `list` until no topology `name` is listed any more, for at most `timeout`.
    pub fn wait_gone(
        &self,
        nimbus: &Nimbus,
        name: &str,
        timeout: Duration,
    ) -> Result<(), StormError> {
        let start = Instant::now();
        loop {
            if !self.list(nimbus)?.iter().any(|t| t.name == name) {
                return Ok(());
            }
            if start.elapsed() >= timeout {
                return Err(StormError::StillThere {
                    name: name.to_string(),
                    secs: timeout.as_secs(),
                });
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

/// Runs `cmd` with its output captured; a failure becomes [`StormError::Failed`].
fn run(mut cmd: Command, what: &str) -> Result<Output, StormError> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|source| StormError::Spawn { program, source })?;
    if out.status.success() {
        return Ok(out);
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Err(StormError::Failed {
        what: what.to_string(),
        status: out.status,
        detail: error_lines(&text),
    })
}

/// The lines of a failed client run worth showing: exception messages, `ERROR` lines and
/// "Could not find or load main class" (with a hint), else the last 15 lines.
pub fn error_lines(text: &str) -> String {
    let mut picked: Vec<String> = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("at ") || t.starts_with("... ") {
            continue;
        }
        if t.contains("Exception") || t.contains(" ERROR ") || t.starts_with("Error") {
            picked.push(format!("  {t}"));
        }
        if t.contains("Could not find or load main class") {
            let hint = if t.contains("flux") {
                "flux-core is missing: add flux-core-<version>.jar to the Storm classpath"
            } else if t.contains("org.apache.storm.command") {
                "storm-core (org.apache.storm.command.*) is missing: add storm-core-<version>.jar to the Storm classpath (storm/cluster.sh fetches it)"
            } else {
                "check the Storm classpath (SPARSE_STORM_CLASSPATH or storm_classpath)"
            };
            picked.push(format!("  hint: {hint}"));
        }
    }
    if picked.is_empty() {
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(15);
        picked = lines[from..].iter().map(|l| format!("  {l}")).collect();
    }
    picked.dedup();
    picked.join("\n")
}

/// Parses the table that `storm list` / `ListTopologies` prints (after its `----` rule):
/// `NAME STATUS TASKS WORKERS UPTIME_SECS ID OWNER`. Log lines around it are ignored;
/// "No topologies running." gives an empty list.
pub fn parse_list(stdout: &str) -> Vec<TopologySummary> {
    const STATUSES: [&str; 4] = ["ACTIVE", "INACTIVE", "KILLED", "REBALANCING"];
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in stdout.lines() {
        if line.starts_with("-----") {
            in_table = true;
            continue;
        }
        if !in_table {
            continue;
        }
        let tok: Vec<&str> = line.split_whitespace().collect();
        // The status is the first known status word followed by three numbers and an id.
        let Some(i) = (1..tok.len()).find(|&i| {
            STATUSES.contains(&tok[i])
                && tok.len() >= i + 5
                && tok[i + 1..i + 4].iter().all(|t| t.parse::<u64>().is_ok())
        }) else {
            continue;
        };
        rows.push(TopologySummary {
            name: tok[..i].join(" "),
            status: tok[i].to_string(),
            tasks: tok[i + 1].parse().unwrap_or(0),
            workers: tok[i + 2].parse().unwrap_or(0),
            uptime_secs: tok[i + 3].parse().unwrap_or(0),
            id: tok[i + 4].to_string(),
            owner: tok[i + 5..].join(" "),
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTED: &str = "\
11:39:36.326 [main] INFO  o.a.s.v.ConfigValidation - Will use [...] for validation
11:39:36.656 [main] INFO  o.a.s.u.NimbusClient - Found leader nimbus : 127.0.0.1:41383:0
Topology_name        Status     Num_tasks  Num_workers  Uptime_secs  Topology_Id          Owner               
----------------------------------------------------------------------------------------
sparse-harness-basic ACTIVE     6          1            32           sparse-harness-basic-1-1795693144 root                
word count           KILLED     7          2            5            word_count-2-1795693200 
";

    #[test]
    fn parses_the_list_table() {
        let rows = parse_list(LISTED);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].name, "sparse-harness-basic");
        assert_eq!(rows[0].status, "ACTIVE");
        assert_eq!(
            (rows[0].tasks, rows[0].workers, rows[0].uptime_secs),
            (6, 1, 32)
        );
        assert_eq!(rows[0].id, "sparse-harness-basic-1-1795693144");
        assert_eq!(rows[0].owner, "root");
        assert_eq!(rows[1].name, "word count");
        assert_eq!(rows[1].status, "KILLED");
        assert_eq!(rows[1].owner, "");
        assert!(parse_list("x\nNo topologies running.\n").is_empty());
    }

    fn argv(c: &Command) -> Vec<String> {
        std::iter::once(c.get_program())
            .chain(c.get_args())
            .map(|s| s.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn commands() {
        let nimbus = Nimbus::parse("10.0.0.5:7000").unwrap();
        let script = Client::Script {
            program: "/opt/storm/bin/storm".into(),
        };
        assert_eq!(
            argv(&script.kill_command(&nimbus, "wc", 3)),
            [
                "/opt/storm/bin/storm",
                "kill",
                "-c",
                "nimbus.seeds=[\"10.0.0.5\"]",
                "-c",
                "nimbus.thrift.port=7000",
                "wc",
                "-w",
                "3"
            ]
        );
        assert_eq!(
            argv(&script.submit_command(
                &nimbus,
                Path::new("/t/wc.jar"),
                Path::new("/t/wc.yaml"),
                false
            ))[6..],
            [
                "/t/wc.jar",
                FLUX_MAIN,
                "--remote",
                "--no-splash",
                "/t/wc.yaml"
            ]
        );
        let java = Client::Java {
            java: "java".into(),
            classpath: "/s/lib/*".into(),
        };
        let a = argv(&java.submit_command(
            &nimbus,
            Path::new("/t/wc.jar"),
            Path::new("/t/wc.yaml"),
            false,
        ));
        assert_eq!(
            a,
            [
                "java",
                "-cp",
                "/t/wc.jar:/s/lib/*",
                "-Dstorm.jar=/t/wc.jar",
                "-Dstorm.options=nimbus.seeds%3D%5B%2210.0.0.5%22%5D,nimbus.thrift.port%3D7000",
                FLUX_MAIN,
                "--remote",
                "--no-splash",
                "/t/wc.yaml"
            ]
        );
        assert_eq!(argv(&java.list_command(&nimbus))[4], LIST_MAIN);
    }

    #[test]
    fn inactive_and_timeout_reach_the_client() {
        let nimbus = Nimbus::parse("10.0.0.5:7000")
            .unwrap()
            .with_timeout(Some(9000));
        let script = Client::Script {
            program: "storm".into(),
        };
        let a = argv(&script.submit_command(&nimbus, Path::new("j"), Path::new("y"), true));
        assert_eq!(
            a[1..],
            [
                "jar",
                "-c",
                "nimbus.seeds=[\"10.0.0.5\"]",
                "-c",
                "nimbus.thrift.port=7000",
                "-c",
                "storm.thrift.socket.timeout.ms=9000",
                "j",
                FLUX_MAIN,
                "--remote",
                "--no-splash",
                "--inactive",
                "y"
            ]
        );
        assert!(
            argv(&script.list_command(&nimbus))
                .contains(&"storm.thrift.socket.timeout.ms=9000".to_string())
        );
        let java = Client::Java {
            java: "java".into(),
            classpath: "cp".into(),
        };
        let a = argv(&java.kill_command(&nimbus, "wc", 0));
        assert!(
            a[3].ends_with(",storm.thrift.socket.timeout.ms%3D9000"),
            "{a:?}"
        );
        assert_eq!(a[a.len() - 3..], ["wc", "-w", "0"]);
    }

    #[test]
    fn error_lines_pick_exceptions_and_hint() {
        let text = "12:00 [main] INFO x - fine\nException in thread \"main\" NotAliveException(msg:wc is not alive)\n\tat org.apache.storm.X(X.java:1)\n";
        assert_eq!(
            error_lines(text),
            "  Exception in thread \"main\" NotAliveException(msg:wc is not alive)"
        );
        let text =
            "Error: Could not find or load main class org.apache.storm.command.ListTopologies\n";
        assert!(error_lines(text).contains("storm-core"));
    }
}
