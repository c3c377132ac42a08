//! Registering a crate's components: the [`export_components!`](crate::export_components)
//! macro and the registry behind the entry symbol.
//!
//! ```ignore
//! plugin_api::export_components! {
//!     spout SentenceSpout,
//!     bolt SentenceSplitter,
//!     bolt WordCounter,
//!     batching_bolt WordTotals,
//! }
//! ```
//!
//! This exports `sparse_plugin_v1`, whose registry lists each type under its own name
//! (`SentenceSpout`), so the topology names it `wordcount::SentenceSpout`.

use std::ffi::c_void;
use std::marker::PhantomData;

use crate::abi::{self, ComponentV1, HostApiV1, PluginV1, SpStr};
use crate::batching::{self, BatchingBolt};
use crate::bolt::{self, Bolt};
use crate::declare::outputs_json;
use crate::driver;
use crate::host_api::HostHandle;
use crate::spout::{self, Spout};

/// One component as the macro lists it.
pub struct ComponentEntry {
    name: &'static str,
    outputs: String,
    vtable: ComponentV1,
}

/// How a component kind builds its instance, so one `create` entry point serves all kinds.
trait Maker: 'static {
    /// What the driver keeps behind the instance pointer.
    type Instance: 'static;
    /// The registered name (the user type's name).
    fn name() -> &'static str;
    /// Builds the instance when the task starts.
    fn make(ctx: &crate::Context) -> crate::Result<Self::Instance>;
}

struct AsSpout<S>(PhantomData<S>);
struct AsBolt<B>(PhantomData<B>);
struct AsBatching<B>(PhantomData<B>);

impl<S: Spout> Maker for AsSpout<S> {
    type Instance = S;
    fn name() -> &'static str {
        short_name::<S>()
    }
    fn make(ctx: &crate::Context) -> crate::Result<S> {
        S::initialize(ctx)
    }
}

impl<B: Bolt> Maker for AsBolt<B> {
    type Instance = B;
    fn name() -> &'static str {
        short_name::<B>()
    }
    fn make(ctx: &crate::Context) -> crate::Result<B> {
        B::initialize(ctx)
    }
}

impl<B: BatchingBolt> Maker for AsBatching<B> {
    type Instance = batching::Batching<B>;
    fn name() -> &'static str {
        short_name::<B>()
    }
    fn make(ctx: &crate::Context) -> crate::Result<batching::Batching<B>> {
        batching::make::<B>(ctx)
    }
}

unsafe extern "C" fn create<M: Maker>(
    host: *const HostApiV1,
    ctx: *mut c_void,
    conf: SpStr,
    context: SpStr,
    out: *mut *mut c_void,
) -> i32 {
    // SAFETY: forwarded from the host.
    unsafe { driver::create(M::name(), host, ctx, conf, context, out, M::make) }
}

/// The type's name without its module path (`wordcount::WordCounter` → `WordCounter`).
pub(crate) fn short_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

const EMPTY_VTABLE: ComponentV1 = ComponentV1 {
    struct_size: std::mem::size_of::<ComponentV1>(),
    name: SpStr::EMPTY,
    kind: 0,
    outputs: SpStr::EMPTY,
    create: create_none,
    destroy: destroy_none,
    process: None,
    tick: None,
    next_tuple: None,
    ack: None,
    fail: None,
    activate: None,
    deactivate: None,
};

unsafe extern "C" fn create_none(
    _: *const HostApiV1,
    _: *mut c_void,
    _: SpStr,
    _: SpStr,
    _: *mut *mut c_void,
) -> i32 {
    abi::STATUS_INVALID
}

unsafe extern "C" fn destroy_none(_: *mut c_void) {}

impl ComponentEntry {
    /// A spout, registered under `name`.
    pub fn spout<S: Spout>(name: &'static str) -> Self {
        ComponentEntry {
            name,
            outputs: outputs_json(S::OUTPUTS),
            vtable: ComponentV1 {
                kind: abi::KIND_SPOUT,
                create: create::<AsSpout<S>>,
                destroy: driver::destroy::<S>,
                next_tuple: Some(spout::next_tuple::<S>),
                ack: Some(spout::ack::<S>),
                fail: Some(spout::fail::<S>),
                activate: Some(spout::activate::<S>),
                deactivate: Some(spout::deactivate::<S>),
                ..EMPTY_VTABLE
            },
        }
    }

    /// A bolt, registered under `name`.
    pub fn bolt<B: Bolt>(name: &'static str) -> Self {
        ComponentEntry {
            name,
            outputs: outputs_json(B::OUTPUTS),
            vtable: ComponentV1 {
                kind: abi::KIND_BOLT,
                create: create::<AsBolt<B>>,
                destroy: driver::destroy::<B>,
                process: Some(bolt::process::<B>),
                tick: Some(bolt::tick::<B>),
                ..EMPTY_VTABLE
            },
        }
    }

    /// A batching bolt, registered under `name`.
    pub fn batching_bolt<B: BatchingBolt>(name: &'static str) -> Self {
        ComponentEntry {
            name,
            outputs: outputs_json(B::OUTPUTS),
            vtable: ComponentV1 {
                kind: abi::KIND_BOLT,
                create: create::<AsBatching<B>>,
                destroy: driver::destroy::<batching::Batching<B>>,
                process: Some(batching::process::<B>),
                tick: Some(batching::tick::<B>),
                ..EMPTY_VTABLE
            },
        }
    }

    /// The finished ABI descriptor (its strings point into `self`).
    pub fn vtable(&self) -> ComponentV1 {
        ComponentV1 {
            name: SpStr::new(self.name),
            outputs: SpStr::new(&self.outputs),
            ..self.vtable
        }
    }
}

/// Everything the entry symbol hands out; built once, never freed.
pub struct Registry {
    _entries: Vec<ComponentEntry>,
    _vtables: Vec<ComponentV1>,
    plugin: PluginV1,
}

#[cfg(panic = "unwind")]
const BUILD_INFO: &str = concat!("plugin-api ", env!("CARGO_PKG_VERSION"), "; panic=unwind");
#[cfg(not(panic = "unwind"))]
const BUILD_INFO: &str = concat!(
    "plugin-api ",
    env!("CARGO_PKG_VERSION"),
    "; panic=abort (a panic aborts the task)"
);

impl Registry {
    /// Builds the registry of a plugin crate.
    pub fn new(
        plugin_name: &'static str,
        plugin_version: &'static str,
        entries: Vec<ComponentEntry>,
    ) -> Self {
        let vtables: Vec<ComponentV1> = entries.iter().map(ComponentEntry::vtable).collect();
        let plugin = PluginV1 {
            struct_size: std::mem::size_of::<PluginV1>(),
            abi_major: abi::ABI_MAJOR,
            abi_minor: abi::ABI_MINOR,
            plugin_name: SpStr::new(plugin_name),
            plugin_version: SpStr::new(plugin_version),
            build_info: SpStr::new(BUILD_INFO),
            components: vtables.as_ptr(),
            component_count: vtables.len(),
        };
        Registry {
            _entries: entries,
            _vtables: vtables,
            plugin,
        }
    }

    /// The descriptor.
    pub fn plugin(&self) -> &PluginV1 {
        &self.plugin
    }
}

/// The body of the exported entry symbol: checks the host's table, returns the registry.
///
/// # Safety
/// `host` must be null or point to a host table.
pub unsafe fn entry(host: *const HostApiV1, registry: &'static Registry) -> *const PluginV1 {
    match HostHandle::check(host) {
        Ok(()) => registry.plugin(),
        Err(msg) => {
            crate::driver::stderr_line(format_args!("plugin refused the host: {msg}"));
            std::ptr::null()
        }
    }
}

/// Exports a crate's components through the `sparse_plugin_v1` entry symbol.
///
/// List each component with its kind: `spout`, `bolt` or `batching_bolt`. The crate must
/// be built as a `cdylib` (`crate-type = ["cdylib", "rlib"]` keeps it testable too).
///
/// ```ignore
/// plugin_api::export_components! {
///     spout SentenceSpout,
///     bolt SentenceSplitter,
///     bolt WordCounter,
/// }
/// ```
#[macro_export]
macro_rules! export_components {
    ($($kind:ident $ty:ty),+ $(,)?) => {
        /// The plugin entry point generated by `plugin_api::export_components!`.
        ///
        /// # Safety
        /// Called by `sparse-host` with its callback table.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn sparse_plugin_v1(
            host: *const $crate::abi::HostApiV1,
        ) -> *const $crate::abi::PluginV1 {
            static REGISTRY: ::std::sync::OnceLock<$crate::export::Registry> =
                ::std::sync::OnceLock::new();
            let registry = REGISTRY.get_or_init(|| {
                $crate::export::Registry::new(
                    env!("CARGO_PKG_NAME"),
                    env!("CARGO_PKG_VERSION"),
                    vec![$($crate::export::ComponentEntry::$kind::<$ty>(stringify!($ty))),+],
                )
            });
            // SAFETY: forwarded from the host.
            unsafe { $crate::export::entry(host, registry) }
        }
    };
}
