//! How `sparse-host --component CRATE::TYPE` names the plugin file it loads, shared by the
//! host (which searches for it) and the `sparse` tool (which builds, checks and packs it).
//!
//! ```
//! use sparse_protocol::plugin_file::{crate_of, file_name};
//!
//! let f = file_name("word-count"); // Cargo writes `-` as `_` in library names
//! assert_eq!(f, format!("{}word_count{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX));
//! assert_eq!(crate_of(&f), Some("word_count"));
//! assert_eq!(crate_of("README.md"), None);
//! ```

use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};

/// `lib<crate>.so` on Linux (the platform's prefix and suffix), with `-` written as `_`.
pub fn file_name(krate: &str) -> String {
    format!("{DLL_PREFIX}{}{DLL_SUFFIX}", krate.replace('-', "_"))
}

/// The crate part of a plugin file name (`libword_count.so` → `word_count`), or `None`
/// for a file that is not named like a plugin.
pub fn crate_of(file: &str) -> Option<&str> {
    file.strip_prefix(DLL_PREFIX)?
        .strip_suffix(DLL_SUFFIX)
        .filter(|k| !k.is_empty())
}
