//! The C ABI between `sparse-host` and a component plugin, version 1.
//!
//! A plugin is a `cdylib` exporting exactly one symbol, [`ENTRY_SYMBOL`]
//! (`sparse_plugin_v1`), of type [`EntryFn`]. The ABI major version is part of the symbol
//! name, so a host for another major version cannot even find it. Everything else crosses
//! through `#[repr(C)]` structs that start with their own `struct_size`, so a newer minor
//! version may append fields and an older peer can tell what it may read.
//!
//! Rules both sides follow (they are what makes mixing compilers and allocators safe):
//!
//! * Text and JSON cross as [`SpStr`]: a borrowed `(pointer, length)` of UTF-8, valid only
//!   for the duration of the call. The receiver copies what it keeps.
//! * Nothing allocated on one side is freed on the other. A component instance is an
//!   opaque pointer created by the plugin's `create` and freed by its `destroy`.
//! * Every entry into user code is wrapped in `catch_unwind` by the plugin and turned into
//!   a status code ([`STATUS_OK`] …); no panic crosses the boundary.
//! * Host callbacks other than `log` may only be called on the thread, and during the
//!   call, in which the host called into the component. `log` may be called from any
//!   thread at any time.
//! * Plugins are loaded with `RTLD_NOW | RTLD_LOCAL` and never unloaded.
//!
//! The same definitions are in `include/sparse_plugin.h` for C and C++ plugins; a test
//! checks that the header and these types agree.

use std::ffi::c_void;

/// Incompatible changes bump the major version, and with it the entry symbol's name.
pub const ABI_MAJOR: u32 = 1;
/// Compatible additions (appended struct fields) bump the minor version.
pub const ABI_MINOR: u32 = 0;
/// The one symbol a plugin exports.
pub const ENTRY_SYMBOL: &str = "sparse_plugin_v1";

/// Success.
pub const STATUS_OK: i32 = 0;
/// The component returned an error; it was already reported through `report_error`.
pub const STATUS_ERROR: i32 = 1;
/// The component panicked; the panic message was already reported through `report_error`.
/// The instance must not be used again.
pub const STATUS_PANIC: i32 = 2;
/// The call's arguments were invalid (e.g. a null pointer, values that are not a JSON
/// array, an emit to an undeclared stream). A message was reported where possible.
pub const STATUS_INVALID: i32 = 3;
/// The host could not carry out a callback (for example its output pipe is closed).
pub const STATUS_HOST_FAILED: i32 = 4;

/// [`ComponentV1::kind`] of a spout.
pub const KIND_SPOUT: u32 = 1;
/// [`ComponentV1::kind`] of a bolt (plain or batching).
pub const KIND_BOLT: u32 = 2;

/// Log levels as they cross the ABI: the numeric values of the `log` crate's `Level`.
pub const LEVEL_ERROR: u32 = 1;
/// Warning.
pub const LEVEL_WARN: u32 = 2;
/// Info.
pub const LEVEL_INFO: u32 = 3;
/// Debug.
pub const LEVEL_DEBUG: u32 = 4;
/// Trace.
pub const LEVEL_TRACE: u32 = 5;

/// A borrowed UTF-8 string: pointer and length, no terminator. `len == 0` is the empty
/// string (the pointer may then be null).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SpStr {
    /// First byte.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
}

impl SpStr {
    /// The empty string.
    pub const EMPTY: SpStr = SpStr {
        ptr: std::ptr::null(),
        len: 0,
    };

    /// Borrows `s` (the result must not outlive it).
    pub const fn new(s: &str) -> SpStr {
        SpStr {
            ptr: s.as_ptr(),
            len: s.len(),
        }
    }

    /// Views the bytes as `&str`.
    ///
    /// # Safety
    /// `ptr..ptr+len` must be valid UTF-8 that outlives `'a` (always true for an `SpStr`
    /// received as an argument, for the duration of the call).
    pub unsafe fn as_str<'a>(self) -> &'a str {
        if self.len == 0 || self.ptr.is_null() {
            return "";
        }
        // SAFETY: guaranteed by the caller.
        unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.ptr, self.len)) }
    }

    /// True for the empty string.
    pub fn is_empty(self) -> bool {
        self.len == 0
    }
}

/// A tuple handed to a bolt.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct TupleV1 {
    /// `size_of::<TupleV1>()` as compiled into the host.
    pub struct_size: usize,
    /// The delivery id as raw JSON (a quoted string in practice). Echo it back unchanged
    /// in `ack`, `fail` and `anchors`.
    pub id: SpStr,
    /// Source component (empty when Storm sent `null`).
    pub component: SpStr,
    /// Source stream.
    pub stream: SpStr,
    /// Source task, -1 for ticks.
    pub task: i64,
    /// The values: a JSON array.
    pub values: SpStr,
}

/// Receives the task ids of an emit that asked for them. `ids` is valid for the call only.
pub type TaskIdsSink = unsafe extern "C" fn(user: *mut c_void, ids: *const i64, len: usize);

/// One emit, from component to host.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct EmitV1 {
    /// `size_of::<EmitV1>()` as compiled into the plugin.
    pub struct_size: usize,
    /// Stream id; empty means `default`.
    pub stream: SpStr,
    /// The values: a JSON array.
    pub values: SpStr,
    /// Bolts: raw JSON ids of the input tuples to anchor to (`anchor_count` of them).
    pub anchors: *const SpStr,
    /// Number of anchors.
    pub anchor_count: usize,
    /// Spouts: the message id as raw JSON; empty for an unreliable emit.
    pub message_id: SpStr,
    /// Non-zero: emit directly to this task (Storm treats 0 as "not direct").
    pub direct_task: i64,
    /// Non-zero: the host obtains the destination task ids and passes them to
    /// `task_ids_sink` before `emit` returns.
    pub need_task_ids: u32,
    /// Where the task ids go (required when `need_task_ids` is set).
    pub task_ids_sink: Option<TaskIdsSink>,
    /// Passed back to `task_ids_sink`.
    pub task_ids_user: *mut c_void,
}

/// The callbacks a host gives every component instance.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HostApiV1 {
    /// `size_of::<HostApiV1>()` as compiled into the host.
    pub struct_size: usize,
    /// Host's ABI major version.
    pub abi_major: u32,
    /// Host's ABI minor version.
    pub abi_minor: u32,
    /// Emit a tuple. Returns a status code.
    pub emit: unsafe extern "C" fn(ctx: *mut c_void, emit: *const EmitV1) -> i32,
    /// Ack an input tuple by its raw JSON id (bolts).
    pub ack: unsafe extern "C" fn(ctx: *mut c_void, tuple_id: SpStr) -> i32,
    /// Fail an input tuple by its raw JSON id (bolts).
    pub fail: unsafe extern "C" fn(ctx: *mut c_void, tuple_id: SpStr) -> i32,
    /// A log record (`level` is one of the `LEVEL_*` constants). Callable from any thread.
    pub log: unsafe extern "C" fn(ctx: *mut c_void, level: u32, target: SpStr, msg: SpStr),
    /// Report an error to Storm (the `error` command; it is not fatal by itself).
    pub report_error: unsafe extern "C" fn(ctx: *mut c_void, msg: SpStr),
    /// Send a metric update (`params` is JSON). Returns a status code.
    pub metrics: unsafe extern "C" fn(ctx: *mut c_void, name: SpStr, params: SpStr) -> i32,
    /// The most verbose level the host will keep (`LEVEL_*`, or 0 for "off"), so the plugin
    /// can skip formatting disabled records.
    pub max_log_level: unsafe extern "C" fn(ctx: *mut c_void) -> u32,
}

/// Creates a component instance. On success writes the instance pointer to `out` and
/// returns [`STATUS_OK`]; on failure reports through `host.report_error` and returns
/// another status. `conf` and `context` are the handshake's JSON objects.
pub type CreateFn = unsafe extern "C" fn(
    host: *const HostApiV1,
    ctx: *mut c_void,
    conf: SpStr,
    context: SpStr,
    out: *mut *mut c_void,
) -> i32;
/// Frees an instance created by `create`.
pub type DestroyFn = unsafe extern "C" fn(instance: *mut c_void);
/// Hands a tuple to a bolt instance.
pub type TupleFn = unsafe extern "C" fn(instance: *mut c_void, tuple: *const TupleV1) -> i32;
/// A spout command without argument (`next`, `activate`, `deactivate`).
pub type CommandFn = unsafe extern "C" fn(instance: *mut c_void) -> i32;
/// A spout `ack`/`fail` with the message id as raw JSON.
pub type MessageIdFn = unsafe extern "C" fn(instance: *mut c_void, message_id: SpStr) -> i32;

/// One component a plugin offers. Optional entries are null when they do not apply.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ComponentV1 {
    /// `size_of::<ComponentV1>()` as compiled into the plugin.
    pub struct_size: usize,
    /// The name used in `--component CRATE::NAME`.
    pub name: SpStr,
    /// [`KIND_SPOUT`] or [`KIND_BOLT`].
    pub kind: u32,
    /// Declared output streams as JSON: `{"default":{"fields":["word"],"direct":false}}`.
    pub outputs: SpStr,
    /// Creates an instance.
    pub create: CreateFn,
    /// Frees an instance.
    pub destroy: DestroyFn,
    /// Bolts: process a tuple.
    pub process: Option<TupleFn>,
    /// Bolts: process a tick tuple (the component acks it).
    pub tick: Option<TupleFn>,
    /// Spouts: `next`.
    pub next_tuple: Option<CommandFn>,
    /// Spouts: a reliable emit completed.
    pub ack: Option<MessageIdFn>,
    /// Spouts: a reliable emit failed or timed out.
    pub fail: Option<MessageIdFn>,
    /// Spouts: the topology was activated.
    pub activate: Option<CommandFn>,
    /// Spouts: the topology was deactivated.
    pub deactivate: Option<CommandFn>,
}

/// What the entry symbol returns: a `'static` description of the plugin.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PluginV1 {
    /// `size_of::<PluginV1>()` as compiled into the plugin.
    pub struct_size: usize,
    /// Plugin's ABI major version.
    pub abi_major: u32,
    /// Plugin's ABI minor version.
    pub abi_minor: u32,
    /// The crate name.
    pub plugin_name: SpStr,
    /// The crate version.
    pub plugin_version: SpStr,
    /// Diagnostics only (SDK version, panic strategy); never gate on it.
    pub build_info: SpStr,
    /// The registry: `component_count` entries.
    pub components: *const ComponentV1,
    /// Number of components.
    pub component_count: usize,
}

/// The entry symbol's type. Returns null if the plugin refuses the host (for example a
/// host table smaller than it needs).
pub type EntryFn = unsafe extern "C" fn(host: *const HostApiV1) -> *const PluginV1;

// SAFETY: the descriptors are immutable 'static data once built; the raw pointers in them
// point to 'static data owned by the plugin.
unsafe impl Sync for PluginV1 {}
unsafe impl Send for PluginV1 {}
unsafe impl Sync for ComponentV1 {}
unsafe impl Send for ComponentV1 {}

// Layout guards: the C header declares the same sizes (checked by a test).
const _: () = {
    assert!(std::mem::size_of::<SpStr>() == 16);
    assert!(std::mem::size_of::<TupleV1>() == 80);
    assert!(std::mem::size_of::<EmitV1>() == 104);
    assert!(std::mem::size_of::<HostApiV1>() == 72);
    assert!(std::mem::size_of::<ComponentV1>() == 120);
    assert!(std::mem::size_of::<PluginV1>() == 80);
};
