//! Storm's multi-lang wire format, shared by both ends of the pipe.
//!
//! `sparse-host` plays the component side (it reads what Storm's ShellBolt/ShellSpout
//! write and answers), and `sparse run` plays Storm's side. Both frame messages the same
//! way, so the framing lives here once:
//!
//! * [`mod@array`]: counting the values of a JSON array without parsing it (emit checks).
//! * [`frame`]: reading and writing `<json>\nend\n` frames, tolerant of multi-line JSON,
//!   CRLF line ends and messages split across reads, exactly like Storm's Java reader.
//! * [`component`]: borrowed, zero-copy views of the messages Storm sends to a component
//!   (handshake, bolt tuples, spout commands), where tuple values and ids stay raw JSON.
//! * [`fastwire`]: the binary framing sparse-host and sparse's Storm serializer switch to
//!   after a JSON handshake that offers it.
//! * [`plugin_file`]: the plugin file a `CRATE::TYPE` names (`libcrate.so`).
//! * [`json`]: small helpers to write JSON strings and values into an output buffer without
//!   building a DOM.
//!
//! ```
//! use sparse_protocol::frame::{FrameReader, write_frame};
//!
//! let mut wire = Vec::new();
//! write_frame(&mut wire, br#"{"command":"sync"}"#).unwrap();
//! assert_eq!(wire, b"{\"command\":\"sync\"}\nend\n");
//!
//! let mut reader = FrameReader::new(&wire[..]);
//! let mut msg = Vec::new();
//! assert!(reader.read_frame(&mut msg).unwrap());
//! assert_eq!(msg, br#"{"command":"sync"}"#);
//! assert!(!reader.read_frame(&mut msg).unwrap()); // clean end of input
//! ```

pub mod array;
pub mod component;
pub mod fastwire;
pub mod frame;
pub mod json;
pub mod plugin_file;
pub mod shell;
