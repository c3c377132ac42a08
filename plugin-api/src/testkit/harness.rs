//! [`BoltHarness`] and [`SpoutHarness`]: the typed front of the test kit, one per kind of
//! component, both readable through [`Recorded`].

use std::marker::PhantomData;

use serde_json::{Value, json};

use crate::batching::BatchingBolt;
use crate::bolt::Bolt;
use crate::export::{ComponentEntry, short_name};
use crate::spout::Spout;

use super::host::Harness;
use super::{Event, Failure, HarnessConfig, Recorded, TupleBuilder};

/// Drives a [`Bolt`] (or, with [`BoltHarness::batching`], a [`BatchingBolt`]).
pub struct BoltHarness<B> {
    h: Harness,
    _b: PhantomData<B>,
}

impl<B> BoltHarness<B> {
    /// Feeds a tuple to `process`.
    pub fn process(&mut self, tuple: TupleBuilder) -> Result<(), Failure> {
        self.h.tuple(tuple, false)
    }

    /// Feeds a tick tuple (`__system:__tick`, values `[freq]`).
    pub fn tick(&mut self, freq: u64) -> Result<(), Failure> {
        self.h.tuple(
            TupleBuilder::new(json!([freq]))
                .from("__system")
                .stream("__tick")
                .task(-1),
            true,
        )
    }

    /// A heartbeat: `sparse-host` answers it with `sync` without calling the component,
    /// so nothing happens here either; present so tests can interleave them.
    pub fn heartbeat(&mut self) {}

    /// Asserts every emit so far is anchored to `id`.
    pub fn assert_emits_anchored_to(&self, id: &str) {
        for e in &self.h.recorder.events {
            if let Event::Emit { anchors, .. } = e {
                assert!(
                    anchors.iter().any(|a| a == id),
                    "an emit is not anchored to {id:?}\n{}",
                    self.describe()
                );
            }
        }
    }
}

impl<B: Bolt> BoltHarness<B> {
    /// A harness with the default configuration.
    pub fn new() -> Result<Self, Failure> {
        Self::with_config(HarnessConfig::default())
    }

    /// A harness with this configuration.
    pub fn with_config(cfg: HarnessConfig) -> Result<Self, Failure> {
        let name = short_name::<B>();
        Ok(BoltHarness {
            h: Harness::new(
                ComponentEntry::bolt::<B>(name),
                B::OUTPUTS,
                name,
                cfg,
                false,
            )?,
            _b: PhantomData,
        })
    }
}

/// Marks a [`BoltHarness`] that drives a [`BatchingBolt`].
pub struct Batched<B>(PhantomData<B>);

impl<B: BatchingBolt> BoltHarness<Batched<B>> {
    /// A harness for a batching bolt.
    pub fn batching(cfg: HarnessConfig) -> Result<Self, Failure> {
        let name = short_name::<B>();
        Ok(BoltHarness {
            h: Harness::new(
                ComponentEntry::batching_bolt::<B>(name),
                B::OUTPUTS,
                name,
                cfg,
                false,
            )?,
            _b: PhantomData,
        })
    }
}

impl<B> Recorded for BoltHarness<B> {
    fn events(&self) -> &[Event] {
        &self.h.recorder.events
    }
    fn clear_events(&mut self) {
        self.h.recorder.events.clear();
    }
}

/// Drives a [`Spout`].
pub struct SpoutHarness<S> {
    h: Harness,
    _s: PhantomData<S>,
}

impl<S: Spout> SpoutHarness<S> {
    /// A harness with the default configuration.
    pub fn new() -> Result<Self, Failure> {
        Self::with_config(HarnessConfig::default())
    }

    /// A harness with this configuration.
    pub fn with_config(cfg: HarnessConfig) -> Result<Self, Failure> {
        let name = short_name::<S>();
        Ok(SpoutHarness {
            h: Harness::new(
                ComponentEntry::spout::<S>(name),
                S::OUTPUTS,
                name,
                cfg,
                true,
            )?,
            _s: PhantomData,
        })
    }

    /// `activate`.
    pub fn activate(&mut self) -> Result<(), Failure> {
        self.h.command(self.h.vtable.activate)
    }

    /// `deactivate`.
    pub fn deactivate(&mut self) -> Result<(), Failure> {
        self.h.command(self.h.vtable.deactivate)
    }

    /// `next`.
    pub fn next_tuple(&mut self) -> Result<(), Failure> {
        self.h.command(self.h.vtable.next_tuple)
    }

    /// `ack` with a message id (as the spout emitted it).
    pub fn ack(&mut self, message_id: Value) -> Result<(), Failure> {
        self.h.with_id(self.h.vtable.ack, &message_id)
    }

    /// `fail` with a message id.
    pub fn fail(&mut self, message_id: Value) -> Result<(), Failure> {
        self.h.with_id(self.h.vtable.fail, &message_id)
    }

    /// `(message id, values)` of every emit, in order (`None` for unreliable emits).
    pub fn emits(&self) -> Vec<(Option<Value>, Value)> {
        self.select(|e| match e {
            Event::Emit {
                message_id, values, ..
            } => Some((message_id.clone(), values.clone())),
            _ => None,
        })
    }
}

impl<S> Recorded for SpoutHarness<S> {
    fn events(&self) -> &[Event] {
        &self.h.recorder.events
    }
    fn clear_events(&mut self) {
        self.h.recorder.events.clear();
    }
}
