//! Finding a flux-core jar to embed ([`find_flux_core`]): an explicit path, the local Maven
//! repository, or this repository's Storm test cache, newest version first.

use std::path::{Path, PathBuf};

/// Finds a flux-core jar to embed, in this order: `$SPARSE_FLUX_CORE_JAR`; the newest
/// `org/apache/storm/flux-core/<v>/flux-core-<v>.jar` in the local Maven repository
/// (`$MAVEN_REPO_LOCAL`, else `~/.m2/repository`); the newest
/// `<project>/storm/target/deps-<v>/lib/flux-core-<v>.jar` (this repository's Storm test
/// cache, see `storm/fetch.sh`).
pub fn find_flux_core(project_root: &Path) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SPARSE_FLUX_CORE_JAR") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let m2 = std::env::var_os("MAVEN_REPO_LOCAL")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".m2/repository")));
    let mut candidates: Vec<(Vec<u64>, PathBuf)> = Vec::new();
    if let Some(m2) = m2 {
        let dir = m2.join("org/apache/storm/flux-core");
        for v in read_names(&dir) {
            let jar = dir.join(&v).join(format!("flux-core-{v}.jar"));
            if jar.is_file() {
                candidates.push((version_key(&v), jar));
            }
        }
    }
    if candidates.is_empty() {
        let storm = project_root.join("storm/target");
        for d in read_names(&storm)
            .into_iter()
            .filter(|d| d.starts_with("deps-"))
        {
            let lib = storm.join(&d).join("lib");
            for f in read_names(&lib) {
                if let Some(v) = f
                    .strip_prefix("flux-core-")
                    .and_then(|r| r.strip_suffix(".jar"))
                {
                    candidates.push((version_key(v), lib.join(&f)));
                }
            }
        }
    }
    candidates.sort();
    candidates.pop().map(|(_, p)| p)
}

fn read_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// `2.8.3` → `[2, 8, 3]`; a part that is not a number (e.g. `-SNAPSHOT`) sorts it lower.
pub(super) fn version_key(v: &str) -> Vec<u64> {
    let mut key = Vec::new();
    for part in v.split('.') {
        match part.parse::<u64>() {
            Ok(n) => key.push(n),
            Err(_) => {
                let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
                key.push(digits.parse().unwrap_or(0));
                key.push(0);
                return key;
            }
        }
    }
    key.push(1);
    key
}
