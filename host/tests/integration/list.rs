//! `--list --json`: the machine-readable catalogue `sparse check` reads (directories
//! searched, plugins with their components and declared outputs, libraries skipped).

use serde_json::{Value, json};

use crate::util::*;

fn list_json(args: &[&str]) -> Value {
    let mut all = vec!["--list", "--json"];
    all.extend_from_slice(args);
    let run = run_host(&all, "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}): {}", run.stdout))
}

#[test]
fn json_lists_searched_dirs_components_and_skipped_libraries() {
    let other = TempDir::new("list-json");
    // Another ABI major, and a library that is no plugin at all: both skipped, with why.
    c_plugin(other.path(), "c_echo", &["-DSP_TEST_MAJOR=2"]);
    std::fs::write(other.path().join("libnotes.so"), "not an ELF file").unwrap();
    let wc = plugin_dir().display().to_string();
    let tmp = other.path().display().to_string();
    let doc = list_json(&["--plugin-dir", &tmp, "--plugin-dir", &wc]);

    let searched: Vec<&str> = doc["searched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(&searched[..2], &[tmp.as_str(), wc.as_str()], "{doc}");
    // `./plugins` comes last, made absolute.
    assert!(
        searched.last().unwrap().ends_with("/plugins") && searched.last().unwrap().starts_with('/'),
        "{doc}"
    );

    let plugins = doc["plugins"].as_array().unwrap();
    let wordcount = plugins
        .iter()
        .find(|p| p["crate"] == "wordcount")
        .unwrap_or_else(|| panic!("no wordcount in {doc}"));
    assert_eq!(wordcount["name"], "wordcount");
    assert_eq!(wordcount["path"], json!(format!("{wc}/libwordcount.so")));
    let components = wordcount["components"].as_array().unwrap();
    assert!(
        components.contains(&json!({
            "name": "SentenceSpout",
            "kind": "spout",
            "outputs": {"default": {"fields": ["sentence"], "direct": false}},
        })),
        "{doc}"
    );
    assert!(
        components.contains(&json!({
            "name": "WordCounter",
            "kind": "bolt",
            "outputs": {"default": {"fields": ["word", "count"], "direct": false}},
        })),
        "{doc}"
    );

    let skipped = doc["skipped"].as_array().unwrap();
    let reason = |file: &str| {
        skipped
            .iter()
            .find(|s| s["path"] == json!(format!("{tmp}/{file}")))
            .and_then(|s| s["error"].as_str())
            .unwrap_or_else(|| panic!("{file} not skipped: {doc}"))
            .to_string()
    };
    assert!(reason("libc_echo.so").contains("plugin ABI 2.0"), "{doc}");
    assert!(
        reason("libnotes.so").contains("not an ELF shared library"),
        "{doc}"
    );
    assert!(!plugins.iter().any(|p| p["crate"] == "c_echo"), "{doc}");
}

#[test]
fn outputs_that_are_not_json_are_reported_not_passed_on() {
    let dir = TempDir::new("list-bad-outputs");
    c_plugin(dir.path(), "c_echo", &["-DSP_TEST_BAD_OUTPUTS"]);
    let doc = list_json(&["--plugin-dir", &dir.path().display().to_string()]);
    let echo = &doc["plugins"][0]["components"][0];
    assert_eq!(echo["name"], "Echo", "{doc}");
    assert_eq!(echo["outputs"], Value::Null, "{doc}");
    let err = echo["outputs_error"].as_str().unwrap();
    assert!(
        err.contains("not JSON") && err.contains("{default: a, b}"),
        "{err}"
    );
}

#[test]
fn json_needs_list_and_text_listing_is_unchanged() {
    let run = run_host(&["--json"], "");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--list"), "{}", run.stderr);

    // The text form still warns about skipped libraries on stderr, not in the listing.
    let dir = TempDir::new("list-text");
    c_plugin(dir.path(), "c_echo", &["-DSP_TEST_MAJOR=2"]);
    let run = run_host(
        &["--list", "--plugin-dir", &dir.path().display().to_string()],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("c_echo"), "{}", run.stdout);
    assert!(
        run.stderr.contains("skipping") && run.stderr.contains("libc_echo.so"),
        "{}",
        run.stderr
    );
}
