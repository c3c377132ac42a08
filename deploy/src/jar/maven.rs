//! JVM dependencies of a topology: Maven coordinates from `config.json`, resolved by Maven
//! at `sparse jar` time and packed into the topology jar (as `lein uberjar` does for
//! `project.clj`'s `:dependencies`).
//!
//! ```json
//! {
//!   "jvm_dependencies": [
//!     "org.apache.storm:storm-kafka-client:2.8.3",
//!     "org.apache.kafka:kafka-clients:4.1.1"
//!   ],
//!   "storm_version": "2.8.3"
//! }
//! ```
//!
//! Each entry is `groupId:artifactId:version` (Maven's usual short form).
//!
//! # What is left out: the worker's class path
//!
//! A Storm 2.x worker runs with `lib-worker/` on its class path: `storm-client` and its
//! runtime dependencies (the distribution's `storm-client-bin` assembly), loaded before the
//! topology jar. A library in both is dead weight in the jar at best, and at worst a second
//! copy of a class at another version. [`resolve`] therefore runs Maven twice:
//!
//! 1. [`worker_classpath`]: `dependency:list` on `org.apache.storm:storm-client:<storm_version>`
//!    gives that list (cached in the work folder, one file per Storm version);
//! 2. a `pom.xml` ([`pom`]) declares the dependencies, with every artifact of that list in
//!    `<dependencyManagement>` as `provided`, and `dependency:copy-dependencies
//!    -DincludeScope=runtime` copies what is left.
//!
//! Declaring `storm-client` as `provided` alone is not enough: Maven widens a transitive
//! dependency's scope to `compile` when another path brings it in `compile`, so
//! `kafka-clients`' `slf4j-api` was packed although the worker has it. A managed scope is
//! not widened. (Libraries of Storm's daemons, e.g. jackson from `storm-server`, are *not*
//! on a worker's class path and stay in the jar: storm-kafka-client needs jackson-databind.)
//!
//! A coordinate that is malformed, or that Maven cannot resolve, is an error naming it
//! ([`MavenError`]). Maven must be on `PATH` (or given as `$SPARSE_MVN`); it uses its usual
//! local repository, so a second `sparse jar` resolves offline from it.
//!
//! ```
//! use sparse_deploy::jar::maven::Coordinate;
//! let c: Coordinate = "org.apache.storm:storm-kafka-client:2.8.3".parse().unwrap();
//! assert_eq!((c.group.as_str(), c.artifact.as_str(), c.version.as_str()),
//!            ("org.apache.storm", "storm-kafka-client", "2.8.3"));
//! assert!("storm-kafka-client:2.8.3".parse::<Coordinate>().is_err());
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

/// The Storm version whose `storm-client` is assumed on the worker when `config.json`
/// gives no `storm_version`.
pub const DEFAULT_STORM_VERSION: &str = "2.8.3";

/// A Maven artifact `groupId:artifactId:version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coordinate {
    /// `groupId`.
    pub group: String,
    /// `artifactId`.
    pub artifact: String,
    /// `version`.
    pub version: String,
}

impl fmt::Display for Coordinate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.group, self.artifact, self.version)
    }
}

impl FromStr for Coordinate {
    type Err = MavenError;

    fn from_str(s: &str) -> Result<Coordinate, MavenError> {
        let bad = |why: &str| MavenError::BadCoordinate {
            coordinate: s.to_string(),
            why: why.to_string(),
        };
        let parts: Vec<&str> = s.split(':').collect();
        let [group, artifact, version] = parts.as_slice() else {
            return Err(bad("expected groupId:artifactId:version"));
        };
        for (what, p) in [
            ("groupId", group),
            ("artifactId", artifact),
            ("version", version),
        ] {
            if p.is_empty() {
                return Err(bad(&format!("the {what} is empty")));
            }
            // Characters that Maven does not allow in ids, and that would break the pom.
            if let Some(c) = p
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+')))
            {
                return Err(bad(&format!("the {what} `{p}` contains {c:?}")));
            }
        }
        Ok(Coordinate {
            group: group.to_string(),
            artifact: artifact.to_string(),
            version: version.to_string(),
        })
    }
}

/// Why the JVM dependencies could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum MavenError {
    /// A `jvm_dependencies` entry is not `groupId:artifactId:version`.
    #[error("config.json jvm_dependencies: `{coordinate}` is not a Maven coordinate: {why}")]
    BadCoordinate {
        /// The entry as written.
        coordinate: String,
        /// What is wrong.
        why: String,
    },
    /// `mvn` could not be started.
    #[error(
        "cannot run Maven (`{mvn}`: {source}); sparse jar needs it to resolve config.json jvm_dependencies (install Maven, or set SPARSE_MVN)"
    )]
    NoMaven {
        /// The command tried.
        mvn: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Maven failed; `coordinates` are the declared ones its errors name (all of them when
    /// it names none).
    #[error(
        "Maven could not resolve JVM dependency {}: {detail}",
        coordinates.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
    )]
    Resolve {
        /// The declared coordinates concerned.
        coordinates: Vec<String>,
        /// Maven's error lines.
        detail: String,
    },
    /// Writing the pom or listing the copied jars failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Parses every entry, reporting the first malformed one.
pub fn parse_all(deps: &[String]) -> Result<Vec<Coordinate>, MavenError> {
    deps.iter().map(|d| d.parse()).collect()
}

/// The `pom.xml` that [`resolve`] runs `copy-dependencies` on: `deps` in `compile` scope,
/// and every artifact of `worker` (the worker's class path, [`worker_classpath`]) managed
/// as `provided`, so that Maven leaves it out whichever path brings it.
pub fn pom(deps: &[Coordinate], worker: &[Coordinate]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!-- Generated by sparse jar from config.json jvm_dependencies. -->\n\
         <project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n\
         \x20 <modelVersion>4.0.0</modelVersion>\n\
         \x20 <groupId>sparse.generated</groupId>\n\
         \x20 <artifactId>topology-dependencies</artifactId>\n\
         \x20 <version>0</version>\n\
         \x20 <packaging>pom</packaging>\n",
    );
    let dep = |s: &mut String, c: &Coordinate, scope: &str| {
        s.push_str(&format!(
            "    <dependency><groupId>{}</groupId><artifactId>{}</artifactId><version>{}</version><scope>{scope}</scope></dependency>\n",
            c.group, c.artifact, c.version
        ));
    };
    if !worker.is_empty() {
        s.push_str("  <!-- On the Storm worker's class path (storm-client and its runtime dependencies). -->\n");
        s.push_str("  <dependencyManagement>\n  <dependencies>\n");
        for c in worker {
            dep(&mut s, c, "provided");
        }
        s.push_str("  </dependencies>\n  </dependencyManagement>\n");
    }
    s.push_str("  <dependencies>\n");
    for c in deps {
        dep(&mut s, c, "compile");
    }
    s.push_str("  </dependencies>\n</project>\n");
    s
}

/// The artifacts of `mvn dependency:list -DoutputFile=...` output: lines
/// `   group:artifact:type[:classifier]:version:scope[ -- module ...]`.
pub fn parse_dependency_list(text: &str) -> Vec<Coordinate> {
    text.lines()
        .filter(|l| l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|a| {
            let p: Vec<&str> = a.split(':').collect();
            let version = match p.len() {
                5 => p[3],
                6 => p[4],
                _ => return None,
            };
            format!("{}:{}:{version}", p[0], p[1]).parse().ok()
        })
        .collect()
}

/// The Storm worker's class path for `storm_version`: `org.apache.storm:storm-client` and
/// its runtime dependencies, as Maven resolves them (what a Storm 2.x distribution puts in
/// `lib-worker/`). Listed once per version into `work_dir/storm-worker-<version>.txt` and
/// read from there afterwards.
pub fn worker_classpath(
    storm_version: &str,
    work_dir: &Path,
) -> Result<Vec<Coordinate>, MavenError> {
    let storm: Coordinate = format!("org.apache.storm:storm-client:{storm_version}")
        .parse()
        .map_err(|_| MavenError::BadCoordinate {
            coordinate: format!("storm_version {storm_version}"),
            why: "not a Maven version".into(),
        })?;
    let list = work_dir.join(format!("storm-worker-{storm_version}.txt"));
    if let Ok(text) = std::fs::read_to_string(&list) {
        let found = parse_dependency_list(&text);
        if found.contains(&storm) {
            return Ok(found);
        }
    }
    let dir = work_dir.join(format!("storm-worker-{storm_version}"));
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let pom_path = dir.join("pom.xml");
    let text = pom(std::slice::from_ref(&storm), &[]);
    std::fs::write(&pom_path, text).map_err(io(&pom_path))?;
    let partial = list.with_extension("txt.part");
    run_maven(
        &pom_path,
        &[
            "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:list".into(),
            "-DincludeScope=runtime".into(),
            format!("-DoutputFile={}", partial.display()),
        ],
        std::slice::from_ref(&storm),
    )?;
    let text = std::fs::read_to_string(&partial).map_err(io(&partial))?;
    let found = parse_dependency_list(&text);
    if !found.contains(&storm) {
        return Err(MavenError::Resolve {
            coordinates: vec![storm.to_string()],
            detail: format!("{} does not list it", partial.display()),
        });
    }
    std::fs::rename(&partial, &list).map_err(io(&list))?;
    Ok(found)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> MavenError + use<> {
    let path = path.to_path_buf();
    move |source| MavenError::Io { path, source }
}

/// Runs `mvn -B -f POM ARGS...`; a failure is [`resolve_error`] on `coords`.
fn run_maven(pom_path: &Path, args: &[String], coords: &[Coordinate]) -> Result<(), MavenError> {
    let mvn = std::env::var("SPARSE_MVN").unwrap_or_else(|_| "mvn".to_string());
    let out = Command::new(&mvn)
        .arg("-B")
        .arg("-f")
        .arg(pom_path)
        .args(args)
        .output()
        .map_err(|source| MavenError::NoMaven {
            mvn: mvn.clone(),
            source,
        })?;
    if !out.status.success() {
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        return Err(resolve_error(coords, &text));
    }
    Ok(())
}

/// Resolves `deps` with Maven in `work_dir` (created; `pom.xml` and `lib/` are written
/// there) and returns the jars to pack, sorted by file name: the declared artifacts and
/// their runtime dependencies, less the Storm worker's class path ([`worker_classpath`]).
/// No dependency: no Maven run.
pub fn resolve(
    deps: &[String],
    storm_version: &str,
    work_dir: &Path,
) -> Result<Vec<PathBuf>, MavenError> {
    let coords = parse_all(deps)?;
    if coords.is_empty() {
        return Ok(Vec::new());
    }
    std::fs::create_dir_all(work_dir).map_err(io(work_dir))?;
    let worker = worker_classpath(storm_version, work_dir)?;
    let lib = work_dir.join("lib");
    if lib.exists() {
        std::fs::remove_dir_all(&lib).map_err(io(&lib))?;
    }
    let pom_path = work_dir.join("pom.xml");
    std::fs::write(&pom_path, pom(&coords, &worker)).map_err(io(&pom_path))?;
    run_maven(
        &pom_path,
        &[
            "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies".into(),
            "-DincludeScope=runtime".into(),
            format!("-DoutputDirectory={}", lib.display()),
        ],
        &coords,
    )?;
    if !lib.exists() {
        // Everything declared is on the worker already.
        return Ok(Vec::new());
    }
    let mut jars: Vec<PathBuf> = std::fs::read_dir(&lib)
        .map_err(io(&lib))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jar"))
        .collect();
    jars.sort();
    Ok(jars)
}

/// Maven's `[ERROR]` lines (up to the first help pointer), and the declared coordinates they
/// name by `groupId:artifactId`.
pub fn resolve_error(coords: &[Coordinate], maven_output: &str) -> MavenError {
    let errors: Vec<&str> = maven_output
        .lines()
        .filter_map(|l| l.strip_prefix("[ERROR] "))
        .map(str::trim)
        .take_while(|l| !l.starts_with("-> [Help"))
        .filter(|l| !l.is_empty())
        .collect();
    let named: Vec<String> = coords
        .iter()
        .filter(|c| {
            let ga = format!("{}:{}", c.group, c.artifact);
            errors.iter().any(|l| l.contains(&ga))
        })
        .map(ToString::to_string)
        .collect();
    MavenError::Resolve {
        coordinates: if named.is_empty() {
            coords.iter().map(ToString::to_string).collect()
        } else {
            named
        },
        detail: if errors.is_empty() {
            maven_output
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .join(" | ")
        } else {
            errors.join(" ")
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_checked() {
        for bad in [
            "a:b", "a:b:c:d", ":b:1", "a::1", "a:b:", "a b:c:1", "a:<b>:1",
        ] {
            let e = bad.parse::<Coordinate>().unwrap_err();
            assert!(e.to_string().contains(&format!("`{bad}`")), "{e}");
        }
        let c: Coordinate = "org.apache.kafka:kafka-clients:4.1.1".parse().unwrap();
        assert_eq!(c.to_string(), "org.apache.kafka:kafka-clients:4.1.1");
    }

    #[test]
    fn the_pom_leaves_storm_client_to_the_worker() {
        let c = parse_all(&["g.x:a-y:1.0".into()]).unwrap();
        let worker = parse_all(&[
            "org.apache.storm:storm-client:2.8.3".into(),
            "org.slf4j:slf4j-api:2.0.17".into(),
        ])
        .unwrap();
        let p = pom(&c, &worker);
        assert!(p.contains("<groupId>g.x</groupId><artifactId>a-y</artifactId><version>1.0</version><scope>compile</scope>"), "{p}");
        // Managed, so that no other path widens them to compile.
        let managed = &p
            [p.find("<dependencyManagement>").unwrap()..p.find("</dependencyManagement>").unwrap()];
        assert!(managed.contains("<artifactId>storm-client</artifactId><version>2.8.3</version><scope>provided</scope>"), "{p}");
        assert!(
            managed.contains(
                "<artifactId>slf4j-api</artifactId><version>2.0.17</version><scope>provided</scope>"
            ),
            "{p}"
        );
        assert!(!managed.contains("a-y"), "{p}");
    }

    /// Runs Maven (its local repository, or Central): storm-kafka-client and kafka-clients,
    /// as `topologies/kafka_wordcount` declares them. kafka-clients brings slf4j-api and
    /// guava brings jspecify, both on the worker already (storm-client's dependencies):
    /// neither may be packed. jackson is storm-server's (daemons only) and must stay.
    #[test]
    fn the_workers_class_path_is_left_out() {
        let work = tempfile::tempdir().unwrap();
        let jars = resolve(
            &[
                "org.apache.storm:storm-kafka-client:2.8.3".into(),
                "org.apache.kafka:kafka-clients:4.1.1".into(),
            ],
            "2.8.3",
            work.path(),
        )
        .unwrap();
        let names: Vec<String> = jars
            .iter()
            .map(|j| j.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let worker = worker_classpath("2.8.3", work.path()).unwrap();
        assert!(worker.len() > 20, "{worker:?}");
        for c in &worker {
            let jar = format!("{}-{}.jar", c.artifact, c.version);
            assert!(!names.contains(&jar), "{jar} is on the worker: {names:?}");
        }
        for n in ["slf4j-api-", "jspecify-", "storm-client-", "log4j-"] {
            assert!(!names.iter().any(|j| j.starts_with(n)), "{n}: {names:?}");
        }
        for n in [
            "storm-kafka-client-2.8.3.jar",
            "kafka-clients-4.1.1.jar",
            "jackson-databind-2.20.0.jar",
        ] {
            assert!(names.iter().any(|j| j == n), "{n}: {names:?}");
        }
    }

    #[test]
    fn the_dependency_list_is_read() {
        let text = "\nThe following files have been resolved:\n   org.apache.storm:storm-client:jar:2.8.3:compile -- module storm.client (auto)\n   org.slf4j:slf4j-api:jar:2.0.17:compile -- module org.slf4j\n   a.b:c:jar:linux-x86_64:1.0:runtime\n\n";
        let l: Vec<String> = parse_dependency_list(text)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            l,
            [
                "org.apache.storm:storm-client:2.8.3",
                "org.slf4j:slf4j-api:2.0.17",
                "a.b:c:1.0"
            ]
        );
    }

    #[test]
    fn maven_errors_name_the_declared_coordinate() {
        let c = parse_all(&["a.b:good:1".into(), "a.b:missing:9".into()]).unwrap();
        let out = "[INFO] x\n[ERROR] Failed to execute goal on project topology-dependencies: \
                   Could not resolve dependencies: Could not find artifact a.b:missing:jar:9 in central\n\
                   [ERROR] -> [Help 1]\n[ERROR] more";
        let e = resolve_error(&c, out).to_string();
        assert!(e.contains("`a.b:missing:9`"), "{e}");
        assert!(!e.contains("a.b:good:1"), "{e}");
        assert!(
            e.contains("Could not find artifact a.b:missing:jar:9"),
            "{e}"
        );
    }
}
