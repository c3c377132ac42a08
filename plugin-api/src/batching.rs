//! The [`BatchingBolt`] trait: collect tuples into groups, process each group at once.
//!
//! Tuples are grouped by [`BatchingBolt::group_key`] and held, unacked, until a flush.
//! A flush happens on a tick tuple once [`BatchingBolt::ticks_between_batches`] ticks
//! have passed since the last flush and something is held (so configure
//! `topology.tick.tuple.freq.secs` for the bolt), and also as soon as
//! [`BatchingBolt::tuples_between_batches`] tuples are held, if that is non-zero.
//! A flush calls [`BatchingBolt::process_batch`] once per key, in the order keys were
//! first seen. Emits in `process_batch` are anchored to every tuple of the batch (unless
//! `AUTO_ANCHOR` is off or the emit names anchors). A batch is acked when
//! `process_batch` returns `Ok`. When it returns `Err` or panics, that batch and every
//! batch not yet processed are failed (so Storm replays them at once instead of after the
//! message timeout), the error is reported, and the task ends.
//!
//! Unlike pystorm, the tick counter flushes on the N-th tick, not the (N+1)-th.
//!
//! ```
//! use plugin_api::{BatchingBolt, BoltOutput, Context, StreamDecl, Tuple, fields};
//!
//! /// Counts words per flush and emits one total per word.
//! struct WordTotals;
//!
//! impl BatchingBolt for WordTotals {
//!     type Key = String;
//!     const OUTPUTS: &'static [StreamDecl] = &[fields(&["word", "count"])];
//!
//!     fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
//!         Ok(WordTotals)
//!     }
//!
//!     fn group_key(&self, tuple: &Tuple<'_>) -> String {
//!         tuple.get::<String>(0).unwrap_or_default()
//!     }
//!
//!     fn process_batch(
//!         &mut self,
//!         word: &String,
//!         tuples: &[Tuple<'static>],
//!         out: &mut BoltOutput<'_>,
//!     ) -> plugin_api::Result {
//!         out.emit(&(word, tuples.len()))?;
//!         Ok(())
//!     }
//! }
//! ```
//!
//! Test it with [`BoltHarness::batching`](crate::testkit::BoltHarness::batching): feed
//! tuples, then ticks, and check what each flush emitted and acked. Tuples are held, not
//! acked, until the flush:
//!
//! ```
//! # use plugin_api::{BatchingBolt, BoltOutput, Context, StreamDecl, Tuple, fields};
//! # struct WordTotals;
//! # impl BatchingBolt for WordTotals {
//! #     type Key = String;
//! #     const OUTPUTS: &'static [StreamDecl] = &[fields(&["word", "count"])];
//! #     fn initialize(_ctx: &Context) -> plugin_api::Result<Self> { Ok(WordTotals) }
//! #     fn group_key(&self, tuple: &Tuple<'_>) -> String {
//! #         tuple.get::<String>(0).unwrap_or_default()
//! #     }
//! #     fn process_batch(&mut self, word: &String, tuples: &[Tuple<'static>],
//! #                      out: &mut BoltOutput<'_>) -> plugin_api::Result {
//! #         out.emit(&(word, tuples.len()))?;
//! #         Ok(())
//! #     }
//! # }
//! use plugin_api::testkit::{BoltHarness, HarnessConfig, Recorded, TupleBuilder};
//! use serde_json::json;
//!
//! let mut bolt = BoltHarness::<plugin_api::testkit::Batched<WordTotals>>::batching(
//!     HarnessConfig::default(),
//! )
//! .unwrap();
//! for (id, word) in [("a", "dog"), ("b", "cat"), ("c", "dog")] {
//!     bolt.process(TupleBuilder::new(json!([word])).id(id)).unwrap();
//! }
//! assert!(bolt.acked().is_empty()); // held until the flush
//! bolt.tick(1).unwrap(); // ticks_between_batches() is 1 by default
//! assert_eq!(bolt.emitted_values(), [json!(["dog", 2]), json!(["cat", 1])]);
//! assert_eq!(bolt.acked().len(), 4); // the three tuples and the tick
//! ```

use std::collections::HashMap;
use std::ffi::c_void;
use std::hash::Hash;

use crate::abi::{STATUS_INVALID, STATUS_OK, SpStr, TupleV1};
use crate::bolt::{borrow_tuple, describe};
use crate::context::Context;
use crate::declare::StreamDecl;
use crate::driver::{self, Instance, guarded};
use crate::output::{BoltOutput, Core};
use crate::tuple::Tuple;

/// A bolt that processes its input in groups.
pub trait BatchingBolt: Sized + 'static {
    /// What tuples are grouped by; use `()` for a single batch.
    type Key: Eq + Hash + Clone + 'static;
    /// Declared output streams.
    const OUTPUTS: &'static [StreamDecl] = &[];
    /// Anchor emits in `process_batch` to every tuple of the batch.
    const AUTO_ANCHOR: bool = true;

    /// Creates the bolt when the task starts.
    fn initialize(ctx: &Context) -> crate::Result<Self>;

    /// The group a tuple belongs to.
    fn group_key(&self, tuple: &Tuple<'_>) -> Self::Key;

    /// Processes one group. Its tuples are acked when this returns `Ok`.
    fn process_batch(
        &mut self,
        key: &Self::Key,
        tuples: &[Tuple<'static>],
        out: &mut BoltOutput<'_>,
    ) -> crate::Result;

    /// Ticks between flushes (default 1: every tick flushes what is held).
    fn ticks_between_batches(&self) -> u32 {
        1
    }

    /// Flush as soon as this many tuples are held (0, the default: only on ticks).
    fn tuples_between_batches(&self) -> usize {
        0
    }

    /// Called for every tick tuple before the flush check; the tick is acked after.
    fn process_tick(&mut self, tick: &Tuple<'_>, out: &mut BoltOutput<'_>) -> crate::Result {
        let _ = (tick, out);
        Ok(())
    }
}

/// A batching bolt plus the tuples it holds.
pub(crate) struct Batching<B: BatchingBolt> {
    bolt: B,
    batches: Vec<(B::Key, Vec<Tuple<'static>>)>,
    index: HashMap<B::Key, usize>,
    held: usize,
    ticks: u32,
}

impl<B: BatchingBolt> Batching<B> {
    pub(crate) fn new(bolt: B) -> Self {
        Batching {
            bolt,
            batches: Vec::new(),
            index: HashMap::new(),
            held: 0,
            ticks: 0,
        }
    }
}

fn out_for<'a>(
    host: crate::host_api::HostHandle,
    buf: &'a mut Vec<u8>,
    anchors: &'a [SpStr],
) -> BoltOutput<'a> {
    BoltOutput {
        core: Core {
            host,
            buf,
            emitted: 0,
        },
        auto_anchors: anchors,
        current: None,
        current_handled: false,
    }
}

/// Processes and acks every held batch; on failure fails the rest and returns the status.
fn flush<B: BatchingBolt>(inst: &mut Instance<Batching<B>>) -> i32 {
    let host = inst.host;
    let batches = std::mem::take(&mut inst.user.batches);
    inst.user.index.clear();
    inst.user.held = 0;
    inst.user.ticks = 0;
    let mut iter = batches.into_iter();
    while let Some((key, tuples)) = iter.next() {
        let anchors: Vec<SpStr> = if B::AUTO_ANCHOR {
            tuples.iter().map(|t| SpStr::new(t.id_json())).collect()
        } else {
            Vec::new()
        };
        let mut out = out_for(host, &mut inst.buf, &anchors);
        let bolt = &mut inst.user.bolt;
        match guarded(host, || bolt.process_batch(&key, &tuples, &mut out)) {
            Ok(()) => {
                for t in &tuples {
                    host.ack(t.id_json());
                }
            }
            Err(f) => {
                let what = format!("failed to process a batch of {} tuples", tuples.len());
                let status = driver::report(inst, &what, &f);
                for t in tuples.iter().chain(
                    iter.by_ref()
                        .flat_map(|(_, ts)| ts)
                        .collect::<Vec<_>>()
                        .iter(),
                ) {
                    host.fail(t.id_json());
                }
                return status;
            }
        }
    }
    STATUS_OK
}

pub(crate) unsafe extern "C" fn process<B: BatchingBolt>(
    inst: *mut c_void,
    t: *const TupleV1,
) -> i32 {
    // SAFETY: the host passes what `create` returned and a valid tuple.
    let (Some(inst), Some(tuple)) = (unsafe { driver::instance::<Batching<B>>(inst) }, unsafe {
        borrow_tuple(t)
    }) else {
        return STATUS_INVALID;
    };
    let host = inst.host;
    let state = &mut inst.user;
    let bolt = &state.bolt;
    let key = match guarded(host, || Ok(bolt.group_key(&tuple))) {
        Ok(k) => k,
        Err(f) => {
            let what = format!("failed in group_key for {}", describe(&tuple));
            let status = driver::report(inst, &what, &f);
            host.fail(tuple.id_json());
            for (_, ts) in std::mem::take(&mut inst.user.batches) {
                for t in ts {
                    host.fail(t.id_json());
                }
            }
            return status;
        }
    };
    let tuple = tuple.into_owned();
    match state.index.get(&key) {
        Some(&i) => state.batches[i].1.push(tuple),
        None => {
            state.index.insert(key.clone(), state.batches.len());
            state.batches.push((key, vec![tuple]));
        }
    }
    state.held += 1;
    let limit = state.bolt.tuples_between_batches();
    if limit > 0 && state.held >= limit {
        return flush(inst);
    }
    STATUS_OK
}

pub(crate) unsafe extern "C" fn tick<B: BatchingBolt>(inst: *mut c_void, t: *const TupleV1) -> i32 {
    // SAFETY: as in `process`.
    let (Some(inst), Some(tuple)) = (unsafe { driver::instance::<Batching<B>>(inst) }, unsafe {
        borrow_tuple(t)
    }) else {
        return STATUS_INVALID;
    };
    let host = inst.host;
    let mut out = out_for(host, &mut inst.buf, &[]);
    let bolt = &mut inst.user.bolt;
    if let Err(f) = guarded(host, || bolt.process_tick(&tuple, &mut out)) {
        let status = driver::report(inst, "failed to process a tick tuple", &f);
        host.fail(tuple.id_json());
        return status;
    }
    host.ack(tuple.id_json());
    let state = &mut inst.user;
    state.ticks = state.ticks.saturating_add(1);
    if state.held > 0 && state.ticks >= state.bolt.ticks_between_batches().max(1) {
        return flush(inst);
    }
    STATUS_OK
}

pub(crate) fn make<B: BatchingBolt>(ctx: &Context) -> crate::Result<Batching<B>> {
    B::initialize(ctx).map(Batching::new)
}
