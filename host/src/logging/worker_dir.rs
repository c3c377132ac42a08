//! Where a task logs by default under Storm: the worker's own log folder.
//!
//! Storm's supervisor gives every worker a folder `<storm.local.dir>/workers/<worker-id>/`
//! holding `pids/` (the `pidDir` of the multi-lang handshake) and `artifacts`, a link to
//! `<storm.log.dir>/workers-artifacts/<topology-id>/<port>/`: the folder where the worker
//! writes `worker.log` and the one Storm's logviewer serves (checked on Storm 2.8.3's
//! supervisor). So with no `streamparse.log.path`, a task's log file goes to
//! `<pidDir>/../artifacts/`, next to `worker.log`, where `sparse tail -e ENV` and the
//! logviewer find it. Outside a Storm worker (no such link) there is no default.
//!
//! ```
//! # use sparse_host::logging::worker_dir::worker_log_dir;
//! let root = std::env::temp_dir().join(format!("worker-dir-doc-{}", std::process::id()));
//! let worker = root.join("workers/w1");
//! std::fs::create_dir_all(worker.join("pids")).unwrap();
//! assert_eq!(worker_log_dir(&worker.join("pids")), None);
//! std::fs::create_dir_all(worker.join("artifacts")).unwrap();
//! assert_eq!(worker_log_dir(&worker.join("pids")), Some(worker.join("artifacts")));
//! # std::fs::remove_dir_all(&root).unwrap();
//! ```

use std::path::{Path, PathBuf};

/// The worker's log folder for a task whose handshake named `pid_dir`: `pid_dir/../artifacts`
/// when `pid_dir` is named `pids` and that folder exists (following the link), else `None`.
pub fn worker_log_dir(pid_dir: &Path) -> Option<PathBuf> {
    if pid_dir.file_name()? != "pids" {
        return None;
    }
    let dir = pid_dir.parent()?.join("artifacts");
    dir.is_dir().then_some(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the system temp folder, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Scratch {
            let p = std::env::temp_dir().join(format!("sparse-host-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Scratch(p)
        }
        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn follows_the_artifacts_link_of_a_storm_worker() {
        let root = Scratch::new("link");
        let logs = root.path().join("logs/workers-artifacts/topo-1-1/6700");
        let worker = root.path().join("local/workers/abc");
        std::fs::create_dir_all(&logs).unwrap();
        std::fs::create_dir_all(worker.join("pids")).unwrap();
        std::os::unix::fs::symlink(&logs, worker.join("artifacts")).unwrap();
        let dir = worker_log_dir(&worker.join("pids")).unwrap();
        assert_eq!(dir.canonicalize().unwrap(), logs.canonicalize().unwrap());
    }

    #[test]
    fn no_default_outside_a_worker() {
        let root = Scratch::new("none");
        std::fs::create_dir_all(root.path().join("artifacts")).unwrap();
        std::fs::create_dir_all(root.path().join("run")).unwrap();
        // The pid folder is not named `pids`: not a Storm worker's layout.
        assert_eq!(worker_log_dir(&root.path().join("run")), None);
        assert_eq!(worker_log_dir(Path::new("/")), None);
    }
}
