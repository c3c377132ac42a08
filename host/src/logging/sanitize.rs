//! The per-task log file name, and how topology and component names are made safe for it.
//!
//! The name is `streamparse_<topology>_<component>_<task_id>_<pid>.log`, as in the
//! streamparse documentation, where `<topology>` and `<component>` pass through
//! [`sanitize_name`]:
//!
//! 1. Every character that is not alphanumeric (Unicode letters and digits count) and not
//!    one of `-`, `_`, `.`, `+`, `@`, `=`, `,`, `~` becomes `_`. That removes `/`, `\`,
//!    spaces, control characters (C0, DEL, C1), `:`, shell glob characters and the like.
//! 2. A `.` that directly follows another `.` in the original name becomes `_`, so the
//!    result never contains `..` (`"../x"` → `".__x"`, `"..."` → `".__"`).
//! 3. The result is cut to at most [`MAX_NAME_BYTES`] bytes (on a character boundary), so
//!    the whole file name plus a rotation suffix such as `.10` stays well under the usual
//!    255-byte limit; the task id and pid keep names unique.
//!
//! Because the result contains no path separator and the name always starts with
//! `streamparse_` and ends with `.log`, joining it onto the log directory can never point
//! outside that directory. Names that are already safe (the common case, e.g.
//! `word-count`, `count_bolt`) are unchanged, so `sparse tail` patterns keep matching.

/// Longest sanitized topology or component name, in bytes.
pub const MAX_NAME_BYTES: usize = 80;

/// Who is logging: the parts of the log file name and of every record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskIdentity {
    /// `topology.name` from the handshake conf.
    pub topology: String,
    /// The component id from the handshake context.
    pub component: String,
    /// The task id from the handshake context.
    pub task_id: i64,
    /// The process id of this `sparse-host` process.
    pub pid: u32,
}

/// The task's log file name: `streamparse_<topology>_<component>_<task_id>_<pid>.log`,
/// with the names made safe by [`sanitize_name`] (see the [module documentation](self)).
pub fn log_file_name(id: &TaskIdentity) -> String {
    format!(
        "streamparse_{}_{}_{}_{}.log",
        sanitize_name(&id.topology),
        sanitize_name(&id.component),
        id.task_id,
        id.pid
    )
}

/// Makes a topology or component name safe to embed in a file name (rules in the
/// [module documentation](self)).
pub fn sanitize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len().min(MAX_NAME_BYTES));
    let mut prev_dot = false;
    for c in name.chars() {
        let was_dot = std::mem::replace(&mut prev_dot, c == '.');
        let safe = match c {
            '.' if was_dot => '_',
            c if c.is_alphanumeric()
                || matches!(c, '-' | '_' | '.' | '+' | '@' | '=' | ',' | '~') =>
            {
                c
            }
            _ => '_',
        };
        if out.len() + safe.len_utf8() > MAX_NAME_BYTES {
            break;
        }
        out.push(safe);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Component, Path};

    fn id(topology: &str, component: &str) -> TaskIdentity {
        TaskIdentity {
            topology: topology.into(),
            component: component.into(),
            task_id: 7,
            pid: 4242,
        }
    }

    #[test]
    fn exact_name_for_ordinary_names() {
        assert_eq!(
            log_file_name(&id("word-count", "count_bolt")),
            "streamparse_word-count_count_bolt_7_4242.log"
        );
        let neg = TaskIdentity {
            task_id: -1,
            ..id("t", "c")
        };
        assert_eq!(log_file_name(&neg), "streamparse_t_c_-1_4242.log");
    }

    #[test]
    fn unsafe_names_are_rewritten() {
        assert_eq!(sanitize_name("../x"), ".__x");
        assert_eq!(sanitize_name("a/b"), "a_b");
        assert_eq!(sanitize_name("a\\b"), "a_b");
        assert_eq!(sanitize_name(".."), "._");
        assert_eq!(sanitize_name("..."), ".__");
        assert_eq!(sanitize_name("a\nb\tc\0d\u{7f}e\u{85}f"), "a_b_c_d_e_f");
        assert_eq!(sanitize_name("with space:*?"), "with_space___");
        assert_eq!(sanitize_name("v1.2.3"), "v1.2.3");
        assert_eq!(sanitize_name("größe"), "größe");
        assert_eq!(sanitize_name(""), "");
    }

    #[test]
    fn names_never_escape_the_directory() {
        let dir = Path::new("/var/log/sp");
        for (t, c) in [
            ("../../etc", "passwd"),
            ("..", ".."),
            ("a/../../b", "c\\..\\d"),
            ("/abs", "/"),
            ("\u{1}\u{2}", "x\ny"),
        ] {
            let name = log_file_name(&id(t, c));
            assert!(!name.contains('/') && !name.contains('\\'), "{name}");
            assert!(!name.contains(".."), "{name}");
            assert!(!name.chars().any(char::is_control), "{name:?}");
            let joined = dir.join(&name);
            assert_eq!(joined.parent(), Some(dir), "{name}");
            assert!(
                joined
                    .components()
                    .all(|c| matches!(c, Component::RootDir | Component::Normal(_))),
                "{name}"
            );
        }
    }

    #[test]
    fn long_names_are_cut_on_a_char_boundary() {
        let long = "é".repeat(100); // 200 bytes
        let s = sanitize_name(&long);
        assert_eq!(s.len(), MAX_NAME_BYTES);
        assert_eq!(s, "é".repeat(MAX_NAME_BYTES / 2));
        let name = log_file_name(&TaskIdentity {
            topology: "t".repeat(1000),
            component: "c".repeat(1000),
            task_id: i64::MIN,
            pid: u32::MAX,
        });
        assert!(name.len() + ".10".len() < 255, "{}", name.len());
    }
}
