//! Plugin files that cannot be loaded: truncated, empty or non-ELF files are refused before
//! they are mapped (a truncated library used to kill the host with SIGBUS), and a library
//! the loader refuses is reported with the loader's own message (`dlerror`). Each ends with
//! exit code 5 and a message naming the file; `--list` skips such files and goes on.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::*;

/// `dir/libwordcount.so`: the first `len` bytes of the real wordcount plugin.
fn truncated_wordcount(dir: &Path, len: usize) -> PathBuf {
    let full = std::fs::read(plugin_dir().join("libwordcount.so")).unwrap();
    assert!(len < full.len());
    let path = dir.join("libwordcount.so");
    std::fs::write(&path, &full[..len]).unwrap();
    path
}

/// Runs `--component wordcount::WordCounter` with only `dir` as plugin directory.
fn load_wordcount_from(dir: &Path) -> Run {
    let d = dir.display().to_string();
    run_host(
        &["--component", "wordcount::WordCounter", "--plugin-dir", &d],
        "",
    )
}

fn assert_refused(run: &Run, file: &Path, what: &str) {
    assert_eq!(run.code, 5, "{}", run.stderr);
    let expected = format!("cannot use plugin {}: {what}", file.display());
    assert!(
        run.stderr.contains(&expected),
        "{expected:?} in {}",
        run.stderr
    );
}

#[test]
fn a_truncated_library_is_refused_before_it_is_mapped() {
    let dir = TempDir::new("truncated");
    let full = std::fs::metadata(plugin_dir().join("libwordcount.so"))
        .unwrap()
        .len();
    let half = (full / 2) as usize;
    let path = truncated_wordcount(dir.path(), half);
    let run = load_wordcount_from(dir.path());
    assert_refused(
        &run,
        &path,
        "the file is truncated or corrupt: its section header table",
    );
    assert!(
        run.stderr
            .contains(&format!("the file has only {half} bytes")),
        "{}",
        run.stderr
    );
}

#[test]
fn a_truncated_library_without_a_section_table_is_caught_by_its_segments() {
    // Strip the section header table from the header (e_shoff = e_shnum = 0, as `strip
    // --strip-section-headers` would) and cut the file: only the loadable segments tell.
    let dir = TempDir::new("truncated-nosections");
    let path = truncated_wordcount(dir.path(), 4096 * 3);
    let mut bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes[4], 2, "the test expects a 64-bit library");
    bytes[40..48].fill(0); // e_shoff
    bytes[60..62].fill(0); // e_shnum
    std::fs::write(&path, &bytes).unwrap();
    let run = load_wordcount_from(dir.path());
    assert_refused(
        &run,
        &path,
        "the file is truncated or corrupt: loadable segment",
    );
}

#[test]
fn a_file_shorter_than_an_elf_header_is_refused() {
    let dir = TempDir::new("short");
    let path = truncated_wordcount(dir.path(), 20);
    let run = load_wordcount_from(dir.path());
    assert_refused(
        &run,
        &path,
        "the file is truncated: 20 bytes, less than an ELF header",
    );
}

#[test]
fn an_empty_file_is_refused() {
    let dir = TempDir::new("empty");
    let path = dir.path().join("libwordcount.so");
    std::fs::write(&path, "").unwrap();
    let run = load_wordcount_from(dir.path());
    assert_refused(&run, &path, "the file is empty");
}

#[test]
fn a_file_that_is_not_elf_is_refused() {
    let dir = TempDir::new("not-elf");
    let path = dir.path().join("libwordcount.so");
    std::fs::write(&path, "INPUT(-lwordcount_real)\n").unwrap();
    let run = load_wordcount_from(dir.path());
    assert_refused(
        &run,
        &path,
        "not an ELF shared library: it starts with 49 4e 50 55",
    );
}

#[test]
fn a_missing_dependency_is_named_by_the_loader_message() {
    // The plugin is linked against libsparse_missing_dep.so, which is then not installed.
    let build = TempDir::new("missing-dep-build");
    let dep_src = build.path().join("dep.c");
    std::fs::write(&dep_src, "int sparse_missing_dep(void) { return 1; }\n").unwrap();
    let ok = Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(build.path().join("libsparse_missing_dep.so"))
        .arg(&dep_src)
        .status()
        .unwrap();
    assert!(ok.success());
    let dir = TempDir::new("missing-dep");
    let lib_dir = format!("-L{}", build.path().display());
    let path = c_plugin(
        dir.path(),
        "c_echo",
        &["-Wl,--no-as-needed", &lib_dir, "-lsparse_missing_dep"],
    );
    drop(build);
    let d = dir.path().display().to_string();
    let run = run_host(&["--component", "c_echo::Echo", "--plugin-dir", &d], "");
    assert_refused(
        &run,
        &path,
        "cannot load the library: libsparse_missing_dep.so: cannot open shared object file: \
         No such file or directory",
    );
}

#[test]
fn an_elf_file_the_loader_refuses_gets_the_loader_message() {
    // A relocatable object is a well-formed ELF file that dlopen cannot load.
    let dir = TempDir::new("relocatable");
    let src = dir.path().join("x.c");
    std::fs::write(&src, "int f(void) { return 1; }\n").unwrap();
    let path = dir.path().join("libwordcount.so");
    let ok = Command::new("cc")
        .args(["-c", "-fPIC", "-o"])
        .arg(&path)
        .arg(&src)
        .status()
        .unwrap();
    assert!(ok.success());
    let run = load_wordcount_from(dir.path());
    assert_refused(&run, &path, "cannot load the library: ");
    assert!(
        run.stderr.contains("only ET_DYN and ET_EXEC can be loaded"),
        "{}",
        run.stderr
    );
}

/// A folder with a good plugin between bad files (sorted: the bad ones come first).
fn mixed_folder() -> TempDir {
    let dir = TempDir::new("list-bad-files");
    std::fs::write(dir.path().join("liba_empty.so"), "").unwrap();
    std::fs::write(dir.path().join("libb_text.so"), "hello\n").unwrap();
    let full = std::fs::read(plugin_dir().join("libwordcount.so")).unwrap();
    std::fs::write(dir.path().join("libc_cut.so"), &full[..full.len() / 3]).unwrap();
    c_plugin(dir.path(), "d_echo", &[]);
    dir
}

#[test]
fn list_skips_bad_files_with_their_reason_and_goes_on() {
    let dir = mixed_folder();
    let d = dir.path().display().to_string();
    let run = run_host(&["--list", "--plugin-dir", &d], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("d_echo::Echo\tbolt"), "{}", run.stdout);
    for (file, why) in [
        ("liba_empty.so", "the file is empty"),
        ("libb_text.so", "not an ELF shared library"),
        ("libc_cut.so", "the file is truncated or corrupt"),
    ] {
        let line = format!("skipping {d}/{file}: cannot use plugin {d}/{file}: {why}");
        assert!(run.stderr.contains(&line), "{line:?} in {}", run.stderr);
    }
}

#[test]
fn list_json_skips_bad_files_with_their_reason_and_goes_on() {
    let dir = mixed_folder();
    let d = dir.path().display().to_string();
    let run = run_host(&["--list", "--json", "--plugin-dir", &d], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["plugins"][0]["crate"], "d_echo", "{doc}");
    let skipped: Vec<(String, String)> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_string(),
                s["error"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(skipped.len(), 3, "{doc}");
    for ((path, error), (file, why)) in skipped.iter().zip([
        ("liba_empty.so", "the file is empty"),
        ("libb_text.so", "not an ELF shared library"),
        ("libc_cut.so", "the file is truncated or corrupt"),
    ]) {
        assert_eq!(path, &format!("{d}/{file}"));
        assert!(error.contains(why), "{error}");
    }
}
