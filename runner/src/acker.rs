//! Reliability, exactly as Storm does it: the XOR ledger of `Acker.java`, the spout's
//! pending map, and Storm's `RotatingMap` timeouts.
//!
//! * [`Acker`] keeps `{val, spout_task, failed}` per spout-tuple root. An entry is created
//!   by the first message of any kind (an ACK can overtake its INIT); once the INIT has
//!   arrived, `val == 0` completes the tree (ack wins over fail), else `failed` fails it.
//!   Entries live in a 3-bucket rotating map and expire silently.
//! * [`SpoutPending`] is a spout task's map of reliable tuples in flight, a 2-bucket
//!   rotating map: what rotates out is failed, so a tuple times out between T and 2T after
//!   its emit.
//! * [`Rotator`] decides when to rotate, from an injected `Instant` so tests control time.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// Storm's `RotatingMap`: new entries go to the newest bucket; [`rotate`](Self::rotate)
/// drops the oldest bucket and returns what it held.
#[derive(Debug)]
pub struct RotatingMap<K, V> {
    buckets: Vec<HashMap<K, V>>,
}

impl<K: Eq + Hash, V> RotatingMap<K, V> {
    /// A map with `n` buckets (at least 2).
    pub fn new(n: usize) -> Self {
        RotatingMap {
            buckets: (0..n.max(2)).map(|_| HashMap::new()).collect(),
        }
    }

    /// Inserts into the newest bucket (removing any older copy).
    pub fn insert(&mut self, k: K, v: V) {
        for b in &mut self.buckets[1..] {
            b.remove(&k);
        }
        self.buckets[0].insert(k, v);
    }

    /// Mutable access wherever the key is.
    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.buckets.iter_mut().find_map(|b| b.get_mut(k))
    }

    /// Removes a key from whichever bucket holds it.
    pub fn remove(&mut self, k: &K) -> Option<V> {
        self.buckets.iter_mut().find_map(|b| b.remove(k))
    }

    /// Drops the oldest bucket, returning its entries (the expired ones).
    pub fn rotate(&mut self) -> HashMap<K, V> {
        let old = self.buckets.pop().unwrap_or_default();
        self.buckets.insert(0, HashMap::new());
        old
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.buckets.iter().map(HashMap::len).sum()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.buckets.iter().all(HashMap::is_empty)
    }
}

/// A completed spout tree, to report to the spout task that emitted the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The tree was fully processed: the spout gets `ack`.
    Acked {
        /// The root id.
        root: u64,
        /// The spout task.
        spout_task: i64,
    },
    /// Some tuple of the tree failed: the spout gets `fail`.
    Failed {
        /// The root id.
        root: u64,
        /// The spout task.
        spout_task: i64,
    },
}

#[derive(Debug, Default)]
struct Entry {
    val: u64,
    spout_task: Option<i64>,
    failed: bool,
}

/// The XOR acker (`Acker.java`), all acker tasks folded into one ledger.
#[derive(Debug)]
pub struct Acker {
    entries: RotatingMap<u64, Entry>,
}

impl Default for Acker {
    fn default() -> Self {
        Acker {
            entries: RotatingMap::new(3),
        }
    }
}

impl Acker {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    fn update(&mut self, root: u64, f: impl FnOnce(&mut Entry)) -> Option<Outcome> {
        let done = {
            if self.entries.get_mut(&root).is_none() {
                self.entries.insert(root, Entry::default());
            }
            let e = self.entries.get_mut(&root).expect("just inserted");
            f(e);
            match e.spout_task {
                None => None,
                Some(s) if e.val == 0 => Some(Outcome::Acked {
                    root,
                    spout_task: s,
                }),
                Some(s) if e.failed => Some(Outcome::Failed {
                    root,
                    spout_task: s,
                }),
                Some(_) => None,
            }
        };
        if done.is_some() {
            self.entries.remove(&root);
        }
        done
    }

    /// `INIT(root, x, spout_task)`: `val ^= x`, the spout task is now known.
    pub fn init(&mut self, root: u64, x: u64, spout_task: i64) -> Option<Outcome> {
        self.update(root, |e| {
            e.val ^= x;
            e.spout_task = Some(spout_task);
        })
    }

    /// `ACK(root, x)`: `val ^= x`.
    pub fn ack(&mut self, root: u64, x: u64) -> Option<Outcome> {
        self.update(root, |e| e.val ^= x)
    }

    /// `FAIL(root)`.
    pub fn fail(&mut self, root: u64) -> Option<Outcome> {
        self.update(root, |e| e.failed = true)
    }

    /// A timeout tick: entries in the oldest of 3 buckets are dropped silently.
    pub fn rotate(&mut self) {
        self.entries.rotate();
    }

    /// Trees being tracked.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A spout task's reliable tuples in flight: root -> what to tell the spout.
#[derive(Debug)]
pub struct SpoutPending<V> {
    map: RotatingMap<u64, V>,
}

impl<V> Default for SpoutPending<V> {
    fn default() -> Self {
        SpoutPending {
            map: RotatingMap::new(2),
        }
    }
}

impl<V> SpoutPending<V> {
    /// Records a reliable emit.
    pub fn insert(&mut self, root: u64, v: V) {
        self.map.insert(root, v);
    }

    /// The tree of `root` completed (acked or failed); `None` if it already timed out.
    pub fn complete(&mut self, root: u64) -> Option<V> {
        self.map.remove(&root)
    }

    /// A timeout tick: returns the entries that timed out (to be failed).
    pub fn rotate(&mut self) -> Vec<V> {
        self.map.rotate().into_values().collect()
    }

    /// Tuples in flight (what `topology.max.spout.pending` limits).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when nothing is in flight.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Fires every `period` from `start`: tells when the rotating maps must rotate.
#[derive(Debug, Clone)]
pub struct Rotator {
    period: Duration,
    next: Instant,
}

impl Rotator {
    /// First rotation at `start + period`.
    pub fn new(start: Instant, period: Duration) -> Self {
        Rotator {
            period,
            next: start + period,
        }
    }

    /// How many rotations are due at `now` (usually 0 or 1).
    pub fn due(&mut self, now: Instant) -> u32 {
        let mut n = 0;
        while now >= self.next {
            self.next += self.period;
            n += 1;
        }
        n
    }

    /// When the next rotation is due.
    pub fn next(&self) -> Instant {
        self.next
    }
}

/// True when a spout task may be sent `next`: below `topology.max.spout.pending`. Unset or
/// 0 is no limit, as in Storm 2.8's spout executor (`maxSpoutPending != 0 && pending >=
/// maxSpoutPending` stops it).
pub fn below_max_pending(pending: usize, max_pending: Option<u64>) -> bool {
    max_pending.is_none_or(|m| m == 0 || (pending as u64) < m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_completes_when_xor_reaches_zero() {
        let mut a = Acker::new();
        // Spout emits to two tasks with edges 0b01 and 0b10.
        assert_eq!(a.init(7, 0b01 ^ 0b10, 4), None);
        // First bolt acks its input (edge 1) after emitting a child with edge 0b100.
        assert_eq!(a.ack(7, 0b01 ^ 0b100), None);
        assert_eq!(a.ack(7, 0b10), None);
        assert_eq!(
            a.ack(7, 0b100),
            Some(Outcome::Acked {
                root: 7,
                spout_task: 4
            })
        );
        assert!(a.is_empty());
        // A late message for a finished root creates an entry that never completes.
        assert_eq!(a.ack(7, 5), None);
        assert_eq!(a.len(), 1);
    }

    #[test]
    fn no_destinations_acks_at_once() {
        let mut a = Acker::new();
        assert_eq!(
            a.init(1, 0, 3),
            Some(Outcome::Acked {
                root: 1,
                spout_task: 3
            })
        );
    }

    #[test]
    fn fail_propagates_once_init_is_known() {
        let mut a = Acker::new();
        assert_eq!(a.init(9, 0xAB, 2), None);
        assert_eq!(
            a.fail(9),
            Some(Outcome::Failed {
                root: 9,
                spout_task: 2
            })
        );
        assert!(a.is_empty());
    }

    #[test]
    fn ack_and_fail_before_init() {
        let mut a = Acker::new();
        // The ACK overtakes the INIT: nothing can be decided until the INIT arrives.
        assert_eq!(a.ack(5, 0x33), None);
        assert_eq!(
            a.init(5, 0x33, 1),
            Some(Outcome::Acked {
                root: 5,
                spout_task: 1
            })
        );
        // A FAIL before the INIT.
        assert_eq!(a.fail(6), None);
        assert_eq!(
            a.init(6, 0x10, 1),
            Some(Outcome::Failed {
                root: 6,
                spout_task: 1
            })
        );
    }

    #[test]
    fn ack_wins_over_fail() {
        let mut a = Acker::new();
        assert_eq!(a.fail(8), None);
        assert_eq!(a.ack(8, 0x44), None);
        // val reaches 0 with failed set: ACKED, not FAILED.
        assert_eq!(
            a.init(8, 0x44, 3),
            Some(Outcome::Acked {
                root: 8,
                spout_task: 3
            })
        );
    }

    #[test]
    fn acker_entries_expire_silently_after_three_rotations() {
        let mut a = Acker::new();
        a.init(1, 5, 1);
        a.rotate();
        a.rotate();
        assert_eq!(a.len(), 1);
        a.rotate();
        assert!(a.is_empty());
        // The tree is gone: a later ack starts a fresh entry that never completes.
        assert_eq!(a.ack(1, 5), None);
    }

    #[test]
    fn spout_timeout_falls_between_t_and_2t() {
        let t = Duration::from_secs(30);
        let start = Instant::now();
        let mut rot = Rotator::new(start, t);
        let mut pending: SpoutPending<&str> = SpoutPending::default();
        let mut failed_at = None;
        // Emit at 0.4 T; advance in 1 s steps.
        let emit_at = start + t.mul_f64(0.4);
        let mut now = start;
        let mut emitted = false;
        while now < start + t * 4 {
            if !emitted && now >= emit_at {
                pending.insert(1, "m1");
                emitted = true;
            }
            for _ in 0..rot.due(now) {
                for m in pending.rotate() {
                    assert_eq!(m, "m1");
                    failed_at = Some(now);
                }
            }
            now += Duration::from_secs(1);
        }
        let waited = failed_at.expect("timed out") - emit_at;
        assert!(waited >= t && waited <= 2 * t, "timed out after {waited:?}");

        // An entry emitted right after a rotation lives almost 2T; one acked in time is
        // never failed.
        let mut rot = Rotator::new(start, t);
        let mut pending: SpoutPending<&str> = SpoutPending::default();
        pending.insert(2, "m2");
        assert_eq!(rot.due(start + t - Duration::from_millis(1)), 0);
        assert_eq!(rot.due(start + t), 1);
        assert!(pending.rotate().is_empty(), "not yet at T");
        assert_eq!(pending.complete(2), Some("m2"));
        assert_eq!(rot.due(start + 2 * t), 1);
        assert!(pending.rotate().is_empty());
        assert_eq!(
            pending.complete(2),
            None,
            "a late ack after completion is ignored"
        );
    }

    #[test]
    fn max_pending_gate() {
        let mut pending: SpoutPending<u32> = SpoutPending::default();
        assert!(below_max_pending(pending.len(), Some(2)));
        pending.insert(1, 1);
        pending.insert(2, 2);
        assert!(!below_max_pending(pending.len(), Some(2)));
        assert!(below_max_pending(pending.len(), None));
        pending.complete(1);
        assert!(below_max_pending(pending.len(), Some(2)));
        // 0 is no limit (Storm's spout executor), not "never".
        assert!(below_max_pending(0, Some(0)));
        assert!(below_max_pending(pending.len(), Some(0)));
    }
}
