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
//! Each entry is `groupId:artifactId:version` (Maven's usual short form). [`resolve`] writes
//! a `pom.xml` declaring them after `org.apache.storm:storm-client:<storm_version>` in
//! `provided` scope (first, so that a library both bring is the worker's), and runs `mvn dependency:copy-dependencies -DincludeScope=runtime`:
//! the declared artifacts and their runtime dependencies are copied, while what the Storm
//! worker already has on its class path (storm-client and everything it brings, and any
//! dependency a library itself marks `provided`) is left out. The caller packs the jars'
//! classes into the topology jar ([`super::JarRequest::jvm_jars`]).
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

/// The `pom.xml` that [`resolve`] runs Maven on.
pub fn pom(deps: &[Coordinate], storm_version: &str) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!-- Generated by sparse jar from config.json jvm_dependencies. -->\n\
         <project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n\
         \x20 <modelVersion>4.0.0</modelVersion>\n\
         \x20 <groupId>sparse.generated</groupId>\n\
         \x20 <artifactId>topology-dependencies</artifactId>\n\
         \x20 <version>0</version>\n\
         \x20 <packaging>pom</packaging>\n\
         \x20 <dependencies>\n",
    );
    let dep = |s: &mut String, c: &Coordinate, scope: &str| {
        s.push_str(&format!(
            "    <dependency><groupId>{}</groupId><artifactId>{}</artifactId><version>{}</version><scope>{scope}</scope></dependency>\n",
            c.group, c.artifact, c.version
        ));
    };
    // storm-client first: for a library that both it and a declared dependency bring at the
    // same depth, Maven keeps the first declaration's, i.e. the worker's, left out.
    let storm = Coordinate {
        group: "org.apache.storm".into(),
        artifact: "storm-client".into(),
        version: storm_version.to_string(),
    };
    dep(&mut s, &storm, "provided");
    for c in deps {
        dep(&mut s, c, "compile");
    }
    s.push_str("  </dependencies>\n</project>\n");
    s
}

/// Resolves `deps` with Maven in `work_dir` (created; `pom.xml` and `lib/` are written
/// there) and returns the jars to pack, sorted by file name. No dependency: no Maven run.
pub fn resolve(
    deps: &[String],
    storm_version: &str,
    work_dir: &Path,
) -> Result<Vec<PathBuf>, MavenError> {
    let coords = parse_all(deps)?;
    if coords.is_empty() {
        return Ok(Vec::new());
    }
    // The Storm version goes into the pom too: check it like a coordinate part.
    let storm: Coordinate = format!("org.apache.storm:storm-client:{storm_version}")
        .parse()
        .map_err(|_| MavenError::BadCoordinate {
            coordinate: format!("storm_version {storm_version}"),
            why: "not a Maven version".into(),
        })?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MavenError::Io { path, source }
    };
    std::fs::create_dir_all(work_dir).map_err(io(work_dir))?;
    let lib = work_dir.join("lib");
    if lib.exists() {
        std::fs::remove_dir_all(&lib).map_err(io(&lib))?;
    }
    let pom_path = work_dir.join("pom.xml");
    std::fs::write(&pom_path, pom(&coords, &storm.version)).map_err(io(&pom_path))?;
    let mvn = std::env::var("SPARSE_MVN").unwrap_or_else(|_| "mvn".to_string());
    let out = Command::new(&mvn)
        .arg("-B")
        .arg("-f")
        .arg(&pom_path)
        .arg("org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies")
        .arg("-DincludeScope=runtime")
        .arg(format!("-DoutputDirectory={}", lib.display()))
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
        return Err(resolve_error(&coords, &text));
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
        let p = pom(&c, "2.8.3");
        assert!(p.contains("<groupId>g.x</groupId><artifactId>a-y</artifactId><version>1.0</version><scope>compile</scope>"), "{p}");
        assert!(p.contains("<artifactId>storm-client</artifactId><version>2.8.3</version><scope>provided</scope>"), "{p}");
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
