//! A temporary folder for the artifact tests, removed on drop.

use std::path::PathBuf;

pub(super) struct Tmp(pub(super) PathBuf);
impl Tmp {
    pub(super) fn new(name: &str) -> Tmp {
        let p =
            std::env::temp_dir().join(format!("sparse-artifacts-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
    pub(super) fn file(&self, rel: &str) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, b"x").unwrap();
        p
    }
}
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
