//! The plugin's handle on the host's callbacks, with the `unsafe` kept in one place.

use std::ffi::c_void;

use crate::abi::{EmitV1, HostApiV1, STATUS_OK, SpStr};

/// The host's callback table and this instance's opaque host context.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HostHandle {
    api: *const HostApiV1,
    ctx: *mut c_void,
}

// SAFETY: the table is immutable and outlives every instance; `log` is documented as
// callable from any thread, and the other callbacks are only used on the calling thread.
unsafe impl Send for HostHandle {}
unsafe impl Sync for HostHandle {}

impl HostHandle {
    /// # Safety
    /// `api` must point to a host table that outlives the handle and passed
    /// [`HostHandle::check`].
    pub(crate) unsafe fn new(api: *const HostApiV1, ctx: *mut c_void) -> HostHandle {
        HostHandle { api, ctx }
    }

    /// Checks a host table before use: non-null, big enough, same major version.
    pub(crate) fn check(api: *const HostApiV1) -> Result<(), String> {
        if api.is_null() {
            return Err("the host passed no callback table".into());
        }
        // SAFETY: non-null, and every version of the table starts with these fields.
        let (size, major, minor) =
            unsafe { ((*api).struct_size, (*api).abi_major, (*api).abi_minor) };
        if major != crate::abi::ABI_MAJOR || size < std::mem::size_of::<HostApiV1>() {
            return Err(format!(
                "host ABI {major}.{minor} (table of {size} bytes) is not compatible with plugin ABI {}.{} (needs {} bytes)",
                crate::abi::ABI_MAJOR,
                crate::abi::ABI_MINOR,
                std::mem::size_of::<HostApiV1>()
            ));
        }
        Ok(())
    }

    fn api(&self) -> &HostApiV1 {
        // SAFETY: checked at construction; the table outlives the instance.
        unsafe { &*self.api }
    }

    pub(crate) fn emit(&self, e: &EmitV1) -> i32 {
        // SAFETY: `e` and everything it points to are valid for the call.
        unsafe { (self.api().emit)(self.ctx, e) }
    }

    pub(crate) fn ack(&self, id: &str) -> bool {
        // SAFETY: borrowed for the call.
        unsafe { (self.api().ack)(self.ctx, SpStr::new(id)) == STATUS_OK }
    }

    pub(crate) fn fail(&self, id: &str) -> bool {
        // SAFETY: borrowed for the call.
        unsafe { (self.api().fail)(self.ctx, SpStr::new(id)) == STATUS_OK }
    }

    pub(crate) fn log(&self, level: u32, target: &str, msg: &str) {
        // SAFETY: borrowed for the call; `log` is callable from any thread.
        unsafe { (self.api().log)(self.ctx, level, SpStr::new(target), SpStr::new(msg)) }
    }

    pub(crate) fn report_error(&self, msg: &str) {
        // SAFETY: borrowed for the call.
        unsafe { (self.api().report_error)(self.ctx, SpStr::new(msg)) }
    }

    pub(crate) fn metrics(&self, name: &str, params: &str) -> i32 {
        // SAFETY: borrowed for the call.
        unsafe { (self.api().metrics)(self.ctx, SpStr::new(name), SpStr::new(params)) }
    }

    pub(crate) fn max_log_level(&self) -> u32 {
        // SAFETY: plain call.
        unsafe { (self.api().max_log_level)(self.ctx) }
    }
}
