//! Write Apache Storm spouts and bolts in Rust, run them with `sparse-host`.
//!
//! A component crate is a `cdylib` that depends on this crate, implements [`Spout`],
//! [`Bolt`] or [`BatchingBolt`] for its types, and exports them in one line with
//! [`export_components!`]. Storm (or `sparse run`) starts
//! `sparse-host --component mycrate::MyBolt` once per task; the host loads
//! `libmycrate.so`, speaks Storm's multi-lang protocol, and calls your code.
//!
//! ```
//! use plugin_api::{Bolt, BoltOutput, Context, StreamDecl, Tuple, fields};
//!
//! /// Splits sentences into words (the streamparse quickstart bolt).
//! pub struct Splitter;
//!
//! impl Bolt for Splitter {
//!     const OUTPUTS: &'static [StreamDecl] = &[fields(&["word"])];
//!
//!     fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
//!         Ok(Splitter)
//!     }
//!
//!     fn process(&mut self, tuple: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
//!         let sentence: &str = tuple.get(0)?; // borrowed; decoded first if escaped
//!         for word in sentence.split_whitespace() {
//!             out.emit(&[word])?; // anchored to `tuple`
//!         }
//!         Ok(()) // `tuple` is acked after we return
//!     }
//! }
//!
//! // In the plugin crate's lib.rs (a cdylib):
//! // plugin_api::export_components! { bolt Splitter }
//! ```
//!
//! The modules:
//! * [`bolt`], [`batching`], [`spout`]: the traits and the rules applied around them
//!   (auto-ack/anchor/fail, ticks, batching, errors and panics);
//! * [`mod@tuple`]: [`Tuple`] and typed access to values; [`context`]: [`Context`];
//! * [`output`]: the collectors ([`BoltOutput`], [`SpoutOutput`]) and [`Emit`] options;
//! * [`declare`]: output stream declarations;
//! * [`abi`]: the C ABI underneath (also in `include/sparse_plugin.h`);
//! * [`export`]: the registry behind [`export_components!`];
//! * [`testkit`]: harnesses to unit-test components in plain `cargo test`.
//!
//! Logging: use the `log` crate's macros. The host sets the level from
//! `streamparse.log.level` and writes the records to the task's log file (and to Storm).
//! Do not print to stdout: it belongs to the protocol (the host redirects it to stderr).

#![deny(improper_ctypes, improper_ctypes_definitions)]
// stdout is the protocol's and stderr may be closed: no printing macros in the library.
#![deny(clippy::print_stderr, clippy::print_stdout)]

pub mod abi;
pub mod batching;
pub mod bolt;
pub mod context;
pub mod declare;
mod driver;
pub mod export;
mod host_api;
mod logger;
pub mod output;
mod scratch;
pub mod spout;
pub mod testkit;
pub mod tuple;

pub use batching::BatchingBolt;
pub use bolt::Bolt;
pub use context::Context;
pub use declare::{StreamDecl, direct_stream, fields, stream};
pub use output::{BoltOutput, Emit, EmitError, SpoutOutput};
pub use spout::{MessageId, Spout};
pub use tuple::{Tuple, ValueError};

/// The error type components return: anything that implements `std::error::Error`
/// converts into it with `?`, and so does a `String` or `&str`.
pub type Error = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result<T, Error>`, with `T` defaulting to `()`.
pub type Result<T = (), E = Error> = std::result::Result<T, E>;
