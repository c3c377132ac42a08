//! Finding, loading and checking component plugins.
//!
//! `--component CRATE::TYPE` names the library `lib<CRATE>.so` (hyphens become
//! underscores, as cargo names the file), searched in this order:
//!
//! 1. each `--plugin-dir`, in the order given;
//! 2. each directory in `SPARSE_PLUGIN_PATH` (`:`-separated);
//! 3. `<directory of sparse-host>/plugins`;
//! 4. `<directory of sparse-host>`;
//! 5. `./plugins`.
//!
//! Before the library is opened, [`elf::check_file`] makes sure it is an ELF file whose
//! headers and segments all lie inside it (a truncated library would otherwise kill the host
//! with `SIGBUS` while it is mapped). A library is opened with `RTLD_NOW | RTLD_LOCAL` (a
//! missing symbol fails at load, and two plugins cannot interpose each other's symbols) and
//! never unloaded; when the loader refuses it, its own message (`dlerror`: a missing
//! dependency, the wrong machine...) is reported. The host then calls the entry symbol and
//! checks the descriptor: ABI major version, struct sizes, and every component's kind and
//! entry points.

use std::ffi::c_void;
use std::path::{Path, PathBuf};

use plugin_api::abi::{
    self, ABI_MAJOR, ABI_MINOR, ComponentV1, EntryFn, HostApiV1, KIND_BOLT, KIND_SPOUT, PluginV1,
};

use crate::error::HostError;

#[cfg(all(unix, not(target_vendor = "apple")))]
pub mod elf;

/// `e` and its sources, joined with `: ` (libloading keeps `dlerror`'s text in the source).
fn with_sources(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        next = cause.source();
    }
    s
}

/// A validated `CRATE::TYPE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentName {
    /// The crate (plugin) name as written.
    pub krate: String,
    /// The component (type) name.
    pub component: String,
}

fn safe_ident(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl ComponentName {
    /// Parses `CRATE::TYPE`; anything but letters, digits, `_` and `-` in either part is
    /// refused, so a name can never reach outside the plugin directories.
    pub fn parse(s: &str) -> Result<ComponentName, HostError> {
        match s.split_once("::") {
            Some((k, c)) if safe_ident(k) && safe_ident(c) => Ok(ComponentName {
                krate: k.to_owned(),
                component: c.to_owned(),
            }),
            _ => Err(HostError::BadComponentName(s.to_owned())),
        }
    }

    /// The library file name for the crate on this platform (`libwordcount.so`).
    pub fn library_file(&self) -> String {
        library_file(&self.krate)
    }
}

/// `lib<crate>.so` with `-` → `_` (see [`sparse_protocol::plugin_file`]).
pub fn library_file(krate: &str) -> String {
    sparse_protocol::plugin_file::file_name(krate)
}

/// The directories searched for plugins, in order (see the module docs).
pub fn search_dirs(plugin_dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = plugin_dirs.to_vec();
    if let Some(path) = std::env::var_os("SPARSE_PLUGIN_PATH") {
        dirs.extend(std::env::split_paths(&path).filter(|p| !p.as_os_str().is_empty()));
    }
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        dirs.push(exe_dir.join("plugins"));
        dirs.push(exe_dir);
    }
    dirs.push(PathBuf::from("plugins"));
    dirs
}

/// Finds `file` in the first directory that has it.
pub fn find_library(file: &str, dirs: &[PathBuf]) -> Result<PathBuf, HostError> {
    dirs.iter()
        .map(|d| d.join(file))
        .find(|p| p.is_file())
        .ok_or_else(|| HostError::PluginNotFound {
            file: file.to_owned(),
            searched: dirs.to_vec(),
        })
}

/// A loaded, checked plugin. The library stays loaded for the life of the process.
pub struct Plugin {
    /// Where it was loaded from.
    pub path: PathBuf,
    descriptor: &'static PluginV1,
}

/// A component from a plugin's registry.
#[derive(Clone, Copy)]
pub struct Component {
    /// Its ABI descriptor (entry points).
    pub vtable: &'static ComponentV1,
}

impl Component {
    /// The registered name.
    pub fn name(&self) -> &'static str {
        // SAFETY: 'static UTF-8 owned by the plugin (checked at load).
        unsafe { self.vtable.name.as_str() }
    }

    /// True for spouts.
    pub fn is_spout(&self) -> bool {
        self.vtable.kind == KIND_SPOUT
    }

    /// `"spout"` or `"bolt"`.
    pub fn kind_name(&self) -> &'static str {
        if self.is_spout() { "spout" } else { "bolt" }
    }

    /// Declared outputs, JSON.
    pub fn outputs_json(&self) -> &'static str {
        // SAFETY: as for `name`.
        unsafe { self.vtable.outputs.as_str() }
    }
}

impl Plugin {
    /// Loads and checks the library at `path`, calling its entry symbol with `host`.
    pub fn load(path: &Path, host: &'static HostApiV1) -> Result<Plugin, HostError> {
        let bad = |reason: String| HostError::BadPlugin {
            plugin: path.to_path_buf(),
            reason,
        };
        // The loader's reason is in the error's source; its own Display only says which
        // call failed.
        let cannot_load = |e: libloading::Error| {
            bad(match &e {
                libloading::Error::DlOpen { source } => {
                    format!("cannot load the library: {source}")
                }
                _ => format!("cannot load the library: {}", with_sources(&e)),
            })
        };
        #[cfg(all(unix, not(target_vendor = "apple")))]
        elf::check_file(path).map_err(bad)?;
        #[cfg(unix)]
        let lib = {
            use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
            // SAFETY: loading runs the library's initialisers; plugins are trusted code.
            unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) }.map_err(cannot_load)?
        };
        #[cfg(not(unix))]
        let lib = {
            // SAFETY: as above.
            unsafe { libloading::Library::new(path) }.map_err(cannot_load)?
        };
        // SAFETY: the symbol has the documented type when present.
        let entry: EntryFn = unsafe {
            *lib.get::<EntryFn>(abi::ENTRY_SYMBOL.as_bytes()).map_err(|_| {
                bad(format!(
                    "it has no `{}` symbol: it is not a sparse plugin for ABI {ABI_MAJOR}.x (built with another major version of plugin-api, or without plugin_api::export_components!)",
                    abi::ENTRY_SYMBOL
                ))
            })?
        };
        // Never unloaded: statics, TLS destructors and threads of the plugin stay valid.
        std::mem::forget(lib);
        // SAFETY: calling the plugin's entry point with a valid 'static host table.
        let descriptor = unsafe { entry(host) };
        if descriptor.is_null() {
            return Err(bad(format!(
                "it refused host ABI {ABI_MAJOR}.{ABI_MINOR} (see its message on stderr)"
            )));
        }
        // SAFETY: non-null and 'static per the ABI; read only what its size covers.
        let descriptor: &'static PluginV1 = unsafe { &*descriptor };
        check_descriptor(descriptor).map_err(bad)?;
        Ok(Plugin {
            path: path.to_path_buf(),
            descriptor,
        })
    }

    /// The plugin's crate name.
    pub fn name(&self) -> &'static str {
        // SAFETY: checked at load.
        unsafe { self.descriptor.plugin_name.as_str() }
    }

    /// The plugin's crate version.
    pub fn version(&self) -> &'static str {
        // SAFETY: checked at load.
        unsafe { self.descriptor.plugin_version.as_str() }
    }

    /// Every component in the registry.
    pub fn components(&self) -> impl Iterator<Item = Component> + '_ {
        let slice: &'static [ComponentV1] = if self.descriptor.component_count == 0 {
            &[]
        } else {
            // SAFETY: checked at load: non-null, `component_count` entries, 'static.
            unsafe {
                std::slice::from_raw_parts(
                    self.descriptor.components,
                    self.descriptor.component_count,
                )
            }
        };
        slice.iter().map(|vtable| Component { vtable })
    }

    /// The component named `name`.
    pub fn component(&self, name: &str) -> Result<Component, HostError> {
        self.components()
            .find(|c| c.name() == name)
            .ok_or_else(|| HostError::ComponentNotFound {
                component: name.to_owned(),
                plugin: self.path.clone(),
                available: self.components().map(|c| c.name().to_owned()).collect(),
            })
    }
}

/// Every plugin library in a list of directories: what `--list` prints.
pub struct Discovery {
    /// The directories searched, in order.
    pub searched: Vec<PathBuf>,
    /// The plugins that loaded, in search order (a file name shadowed by an earlier
    /// directory is not loaded again, as [`find_library`] would not reach it).
    pub plugins: Vec<Found>,
    /// Libraries named like plugins that did not load (other shared libraries, another
    /// ABI), with why.
    pub skipped: Vec<(PathBuf, HostError)>,
}

/// A plugin found by [`discover`].
pub struct Found {
    /// The crate name from the file name (`libword_count.so` → `word_count`), as
    /// `--component CRATE::TYPE` reaches it.
    pub krate: String,
    /// The loaded plugin.
    pub plugin: Plugin,
}

/// Loads every `lib<crate>.so` in `dirs` (see [`Discovery`]).
pub fn discover(dirs: &[PathBuf], host: &'static HostApiV1) -> Discovery {
    let mut seen = std::collections::BTreeSet::new();
    let mut found = Discovery {
        searched: dirs.to_vec(),
        plugins: Vec::new(),
        skipped: Vec::new(),
    };
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for path in files {
            let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
                continue;
            };
            let Some(krate) = sparse_protocol::plugin_file::crate_of(file) else {
                continue;
            };
            if library_file(krate) != file || !seen.insert(file.to_owned()) {
                continue;
            }
            match Plugin::load(&path, host) {
                Ok(plugin) => found.plugins.push(Found {
                    krate: krate.to_owned(),
                    plugin,
                }),
                Err(e) => found.skipped.push((path, e)),
            }
        }
    }
    found
}

impl Discovery {
    /// One line per component: `CRATE::TYPE`, kind, outputs JSON and the library path,
    /// tab-separated.
    pub fn to_text(&self) -> String {
        let mut lines = String::new();
        for f in &self.plugins {
            for c in f.plugin.components() {
                lines.push_str(&format!(
                    "{}::{}\t{}\t{}\t{}\n",
                    f.krate,
                    c.name(),
                    c.kind_name(),
                    c.outputs_json(),
                    f.plugin.path.display()
                ));
            }
        }
        lines
    }

    /// The JSON document of `--list --json`. Paths are absolute (relative ones are taken
    /// from `cwd`, as the search does); a component whose outputs are not JSON gets
    /// `"outputs": null` and an `"outputs_error"`.
    ///
    /// ```json
    /// {"sparse_host": "0.1.0", "abi": "1.0",
    ///  "searched": ["/p/target/release", "/usr/local/bin/plugins", "/usr/local/bin", "/p/plugins"],
    ///  "plugins": [{"crate": "wordcount", "name": "wordcount", "version": "0.1.0",
    ///               "path": "/p/target/release/libwordcount.so",
    ///               "components": [{"name": "SentenceSpout", "kind": "spout",
    ///                               "outputs": {"default": {"fields": ["sentence"], "direct": false}}}]}],
    ///  "skipped": [{"path": "/p/target/release/libother.so", "error": "cannot use plugin ..."}]}
    /// ```
    pub fn to_json(&self, cwd: &Path) -> serde_json::Value {
        use serde_json::{Value, json};
        let abs = |p: &Path| cwd.join(p).display().to_string();
        let plugins: Vec<Value> = self
            .plugins
            .iter()
            .map(|f| {
                let components: Vec<Value> = f
                    .plugin
                    .components()
                    .map(|c| {
                        let mut v = json!({ "name": c.name(), "kind": c.kind_name() });
                        match serde_json::from_str::<Value>(c.outputs_json()) {
                            Ok(outputs) => v["outputs"] = outputs,
                            Err(e) => {
                                v["outputs"] = Value::Null;
                                v["outputs_error"] = json!(format!(
                                    "the declared outputs are not JSON ({e}): {}",
                                    c.outputs_json()
                                ));
                            }
                        }
                        v
                    })
                    .collect();
                json!({
                    "crate": f.krate,
                    "name": f.plugin.name(),
                    "version": f.plugin.version(),
                    "path": abs(&f.plugin.path),
                    "components": components,
                })
            })
            .collect();
        let skipped: Vec<Value> = self
            .skipped
            .iter()
            .map(|(p, e)| json!({ "path": abs(p), "error": e.to_string() }))
            .collect();
        json!({
            "sparse_host": env!("CARGO_PKG_VERSION"),
            "abi": format!("{ABI_MAJOR}.{ABI_MINOR}"),
            "searched": self.searched.iter().map(|d| abs(d)).collect::<Vec<_>>(),
            "plugins": plugins,
            "skipped": skipped,
        })
    }
}

fn utf8(s: abi::SpStr, what: &str) -> Result<(), String> {
    if s.len > 0 && s.ptr.is_null() {
        return Err(format!("{what} is a null pointer with a length"));
    }
    if s.len == 0 {
        return Ok(());
    }
    // SAFETY: non-null with its length, per the ABI.
    let bytes = unsafe { std::slice::from_raw_parts(s.ptr, s.len) };
    std::str::from_utf8(bytes)
        .map(drop)
        .map_err(|_| format!("{what} is not valid UTF-8"))
}

/// Checks what a host needs before it trusts a descriptor.
fn check_descriptor(d: &PluginV1) -> Result<(), String> {
    if d.abi_major != ABI_MAJOR {
        return Err(format!(
            "plugin ABI {}.{} but this sparse-host speaks ABI {ABI_MAJOR}.{ABI_MINOR}; rebuild the plugin against a matching plugin-api",
            d.abi_major, d.abi_minor
        ));
    }
    if d.struct_size < std::mem::size_of::<PluginV1>() {
        return Err(format!(
            "plugin descriptor is {} bytes but ABI {ABI_MAJOR}.{ABI_MINOR} needs at least {} (plugin ABI {}.{})",
            d.struct_size,
            std::mem::size_of::<PluginV1>(),
            d.abi_major,
            d.abi_minor
        ));
    }
    utf8(d.plugin_name, "plugin name")?;
    utf8(d.plugin_version, "plugin version")?;
    if d.component_count > 0 && d.components.is_null() {
        return Err("component registry is a null pointer".into());
    }
    for i in 0..d.component_count {
        // SAFETY: checked non-null with `component_count` entries.
        let c = unsafe { &*d.components.add(i) };
        if c.struct_size < std::mem::size_of::<ComponentV1>() {
            return Err(format!(
                "component #{i} descriptor is {} bytes but ABI {ABI_MAJOR}.{ABI_MINOR} needs at least {}",
                c.struct_size,
                std::mem::size_of::<ComponentV1>()
            ));
        }
        utf8(c.name, "a component name")?;
        utf8(c.outputs, "a component's outputs")?;
        let complete = match c.kind {
            KIND_SPOUT => c.next_tuple.is_some(),
            KIND_BOLT => c.process.is_some(),
            _ => false,
        };
        if !complete {
            return Err(format!(
                "component #{i} has kind {} without the entry points that kind needs",
                c.kind
            ));
        }
    }
    Ok(())
}

/// Keeps `c_void` imported for docs of instance pointers.
pub type InstancePtr = *mut c_void;

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_api::abi::{ComponentV1, SpStr};

    #[test]
    fn component_names() {
        let n = ComponentName::parse("word-count::Splitter_2").unwrap();
        assert_eq!(
            (n.krate.as_str(), n.component.as_str()),
            ("word-count", "Splitter_2")
        );
        assert_eq!(
            n.library_file(),
            format!(
                "{}word_count{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            )
        );
        for bad in [
            "", "x", "x::", "::y", "../x::Y", "a/b::C", "a::b::c", "a.b::C", "a::B C", "ü::X",
        ] {
            assert!(ComponentName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn search_order_puts_flags_first_and_cwd_plugins_last() {
        let dirs = search_dirs(&[PathBuf::from("/first"), PathBuf::from("/second")]);
        assert_eq!(
            &dirs[..2],
            &[PathBuf::from("/first"), PathBuf::from("/second")]
        );
        assert_eq!(dirs.last().unwrap(), &PathBuf::from("plugins"));
    }

    unsafe extern "C" fn create(
        _: *const HostApiV1,
        _: *mut c_void,
        _: SpStr,
        _: SpStr,
        _: *mut *mut c_void,
    ) -> i32 {
        0
    }
    unsafe extern "C" fn destroy(_: *mut c_void) {}
    unsafe extern "C" fn next(_: *mut c_void) -> i32 {
        0
    }

    fn component(kind: u32) -> ComponentV1 {
        ComponentV1 {
            struct_size: std::mem::size_of::<ComponentV1>(),
            name: SpStr::new("C"),
            kind,
            outputs: SpStr::new("{}"),
            create,
            destroy,
            process: None,
            tick: None,
            next_tuple: Some(next),
            ack: None,
            fail: None,
            activate: None,
            deactivate: None,
        }
    }

    fn plugin(components: &[ComponentV1]) -> PluginV1 {
        PluginV1 {
            struct_size: std::mem::size_of::<PluginV1>(),
            abi_major: ABI_MAJOR,
            abi_minor: ABI_MINOR,
            plugin_name: SpStr::new("p"),
            plugin_version: SpStr::new("1"),
            build_info: SpStr::EMPTY,
            components: components.as_ptr(),
            component_count: components.len(),
        }
    }

    #[test]
    fn descriptor_checks() {
        let spout = [component(KIND_SPOUT)];
        assert!(check_descriptor(&plugin(&spout)).is_ok());

        let mut p = plugin(&spout);
        p.abi_major = 2;
        let e = check_descriptor(&p).unwrap_err();
        assert!(e.contains("plugin ABI 2.0") && e.contains("ABI 1.0"), "{e}");

        let mut p = plugin(&spout);
        p.struct_size = 8;
        assert!(check_descriptor(&p).unwrap_err().contains("8 bytes"));

        let mut small = component(KIND_SPOUT);
        small.struct_size = 16;
        assert!(
            check_descriptor(&plugin(&[small]))
                .unwrap_err()
                .contains("16 bytes")
        );

        // A bolt without `process`, or an unknown kind, is incomplete.
        assert!(check_descriptor(&plugin(&[component(KIND_BOLT)])).is_err());
        assert!(check_descriptor(&plugin(&[component(9)])).is_err());

        let mut bad_name = component(KIND_SPOUT);
        bad_name.name = SpStr {
            ptr: b"\xff".as_ptr(),
            len: 1,
        };
        assert!(
            check_descriptor(&plugin(&[bad_name]))
                .unwrap_err()
                .contains("UTF-8")
        );
    }
}
