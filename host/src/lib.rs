//! Placeholder (filled in below).

pub mod logging;
