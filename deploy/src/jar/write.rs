//! Writing the jar: a reproducible zip (fixed times, deflated) with the manifest, the
//! launcher, `sparse-host`, the plugins, the topology YAML, and flux-core's and the JVM
//! components' classes when given.

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use super::{FLUX_MAIN, HOST_NAME, JarError, JarRequest, LAUNCHER, LAUNCHER_NAME, io_err, zip_err};

/// The manifest text, with lines longer than 72 bytes continued as the jar spec wants.
pub(super) fn manifest(topology: &str, resource: &str, flux: bool) -> String {
    let mut attrs = vec![
        ("Manifest-Version", "1.0".to_string()),
        (
            "Created-By",
            format!("sparse {}", env!("CARGO_PKG_VERSION")),
        ),
        ("Sparse-Topology", topology.to_string()),
        ("Sparse-Flux-Resource", resource.to_string()),
    ];
    if flux {
        attrs.push(("Main-Class", FLUX_MAIN.to_string()));
    }
    let mut out = String::new();
    for (k, v) in attrs {
        let line = format!("{k}: {v}");
        let mut rest = line.as_str();
        let mut first = true;
        while !rest.is_empty() {
            let max = if first { 72 } else { 71 };
            let mut cut = rest.len().min(max);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            if !first {
                out.push(' ');
            }
            out.push_str(&rest[..cut]);
            out.push_str("\r\n");
            rest = &rest[cut..];
            first = false;
        }
    }
    out.push_str("\r\n");
    out
}

/// Whether a flux-core entry is copied: not its manifest or signatures, not its top-level
/// `resources/` (storm.py & co.), and not the slf4j-api it shades in unrelocated: every
/// Storm worker has slf4j-api (a dependency of storm-client, see [`super::maven`]), loaded
/// first.
pub(super) fn copy_flux_entry(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if name == "resources/" || name.starts_with("resources/") {
        return false;
    }
    if name.starts_with("org/slf4j/") || name.starts_with("META-INF/maven/org.slf4j/") {
        return false;
    }
    if upper == "META-INF/MANIFEST.MF" || upper == "META-INF/" {
        return false;
    }
    if let Some(f) = upper.strip_prefix("META-INF/")
        && !f.contains('/')
        && [".SF", ".RSA", ".DSA", ".EC"]
            .iter()
            .any(|s| f.ends_with(s))
    {
        return false;
    }
    true
}

/// A jar being written: the zip, its path (for errors) and the entry names so far.
struct Writer<'a> {
    zip: ZipWriter<BufWriter<File>>,
    path: &'a Path,
    entries: Vec<String>,
}

impl Writer<'_> {
    fn file(&mut self, name: &str, mode: u32, bytes: &[u8]) -> Result<(), JarError> {
        self.zip
            .start_file(name, options().unix_permissions(mode))
            .map_err(zip_err(self.path))?;
        self.zip.write_all(bytes).map_err(io_err(self.path))?;
        self.entries.push(name.to_string());
        Ok(())
    }

    fn dir(&mut self, name: &str) -> Result<(), JarError> {
        self.zip
            .add_directory(name, options().unix_permissions(0o755))
            .map_err(zip_err(self.path))?;
        self.entries.push(name.to_string());
        Ok(())
    }
}

/// Deflated, fixed time (reproducible jars).
fn options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::DEFAULT)
        .large_file(false)
}

pub(super) fn write_jar(
    req: &JarRequest,
    path: &Path,
    yaml_name: &str,
    yaml: &str,
    plugins: &BTreeSet<String>,
) -> Result<Vec<String>, JarError> {
    let file = File::create(path).map_err(io_err(path))?;
    let mut w = Writer {
        zip: ZipWriter::new(BufWriter::new(file)),
        path,
        entries: Vec::new(),
    };
    let resource = format!("/{yaml_name}");
    let mf = manifest(&req.topology.name, &resource, req.flux_core.is_some());
    w.file("META-INF/MANIFEST.MF", 0o644, mf.as_bytes())?;
    w.file(yaml_name, 0o644, yaml.as_bytes())?;
    w.dir("resources/")?;
    w.file(
        &format!("resources/{LAUNCHER_NAME}"),
        0o755,
        LAUNCHER.as_bytes(),
    )?;
    let host = req.host_path();
    let bytes = std::fs::read(&host).map_err(io_err(&host))?;
    w.file(&format!("resources/{HOST_NAME}"), 0o755, &bytes)?;
    w.dir("resources/plugins/")?;
    for p in plugins {
        let src = req.release_dir.join(p);
        let bytes = std::fs::read(&src).map_err(io_err(&src))?;
        w.file(&format!("resources/plugins/{p}"), 0o644, &bytes)?;
    }
    for class in req.fast_wire.iter().flatten() {
        w.file(&class.entry, 0o644, &class.bytes)?;
    }
    if let Some(fc) = &req.flux_core {
        let f = File::open(fc).map_err(io_err(fc))?;
        let mut src = ZipArchive::new(std::io::BufReader::new(f)).map_err(zip_err(fc))?;
        let mut seen: HashSet<String> = w.entries.iter().cloned().collect();
        for i in 0..src.len() {
            let entry = src.by_index_raw(i).map_err(zip_err(fc))?;
            let name = entry.name().map_err(zip_err(fc))?.into_owned();
            if !copy_flux_entry(&name) || !seen.insert(name.clone()) {
                continue;
            }
            w.zip.raw_copy_file(entry).map_err(zip_err(path))?;
            w.entries.push(name);
        }
    }
    copy_jvm_jars(&mut w, &req.jvm_jars)?;
    let Writer { zip, entries, .. } = w;
    let file = zip
        .finish()
        .map_err(zip_err(path))?
        .into_inner()
        .map_err(|e| JarError::Io {
            path: path.to_path_buf(),
            source: e.into_error(),
        })?;
    file.sync_all().map_err(io_err(path))?;
    Ok(entries)
}

/// Packs the classes and resources of the JVM dependency jars: the first jar to bring an
/// entry wins, except `META-INF/services/*`, concatenated in jar order. Left out like
/// flux-core's: manifests, signatures and a top-level `resources/`; also `module-info.class`
/// (one per library; the topology jar is not a module).
fn copy_jvm_jars(w: &mut Writer<'_>, jars: &[PathBuf]) -> Result<(), JarError> {
    let mut seen: HashSet<String> = w.entries.iter().cloned().collect();
    let mut services: std::collections::BTreeMap<String, Vec<u8>> = Default::default();
    for jar in jars {
        let f = File::open(jar).map_err(io_err(jar))?;
        let mut src = ZipArchive::new(std::io::BufReader::new(f)).map_err(zip_err(jar))?;
        for i in 0..src.len() {
            let name = src
                .by_index_raw(i)
                .map_err(zip_err(jar))?
                .name()
                .map_err(zip_err(jar))?
                .into_owned();
            let upper = name.to_ascii_uppercase();
            if !copy_flux_entry(&name)
                || name.ends_with("module-info.class")
                || upper == "META-INF/INDEX.LIST"
            {
                continue;
            }
            if name.starts_with("META-INF/services/") && !name.ends_with('/') {
                let mut entry = src.by_index(i).map_err(zip_err(jar))?;
                let buf = services.entry(name).or_default();
                std::io::Read::read_to_end(&mut entry, buf).map_err(io_err(jar))?;
                if !buf.ends_with(b"\n") {
                    buf.push(b'\n');
                }
                continue;
            }
            if !seen.insert(name.clone()) {
                continue;
            }
            let entry = src.by_index_raw(i).map_err(zip_err(jar))?;
            w.zip.raw_copy_file(entry).map_err(zip_err(w.path))?;
            w.entries.push(name);
        }
    }
    for (name, bytes) in services {
        if seen.insert(name.clone()) {
            w.file(&name, 0o644, &bytes)?;
        }
    }
    Ok(())
}
