//! The plugin-side rules, driven through the test kit (the same entry points
//! `sparse-host` calls): auto-ack/anchor/fail, ticks, batching, errors, panics, spouts.

// Bolt rules: auto-ack, auto-anchor, auto-fail, manual ack, ticks, emits.
mod bolt;
// BatchingBolt: grouping, flushing by ticks and by volume, failures.
mod batching;
// Spout commands and message ids.
mod spout;
