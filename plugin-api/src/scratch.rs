//! Borrowed strings from JSON that has escapes: a per-tuple scratch arena and a serde
//! adapter that uses it.
//!
//! serde_json lends a `&'de str` straight from its input when a string has no escapes, and
//! only a transient `&str` (valid during one call) when it had to decode `\/`, `\"`,
//! `\u00e9`, a surrogate pair and so on. A `&str` field, a `#[serde(borrow)]` struct or a
//! borrowed map key would then fail with "invalid type: string, expected a borrowed
//! string", and Storm's JSON writer escapes every `/`, so that is ordinary data.
//!
//! [`Keep`] wraps any serde `Deserializer` and hands every transient string (and byte
//! string) to the visitor as borrowed from a [`Scratch`] owned by the tuple. Strings without
//! escapes still borrow from the tuple's own text: nothing is copied in the common case,
//! and the scratch allocates nothing until a string needs decoding. The scratch lives as
//! long as the tuple, keeps each distinct decoded string once, and is freed with it.
//!
//! [`crate::Tuple::get`] and [`crate::Tuple::values`] are the only users; their tests and
//! the property test in `tuple.rs` cover this module.

use std::cell::UnsafeCell;
use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ptr::NonNull;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

/// Decoded strings kept for as long as the tuple that read them.
///
/// Append-only: [`Scratch::keep`] takes `&self` and returns a `&str` that lives as long as
/// that borrow of the scratch. Entries are heap strings that never move and are freed only
/// when the scratch is dropped, which the borrow checker forbids while any returned `&str`
/// is alive. Not `Sync` (interior mutability without a lock); `Send` is fine, since the
/// entries are owned.
#[derive(Default)]
pub(crate) struct Scratch {
    /// Created on the first escaped string: a tuple without one costs nothing (not even
    /// the hasher's random keys).
    kept: UnsafeCell<Option<HashSet<Entry>>>,
}

/// One kept string: a `Box<str>` turned into a raw pointer, so that the set may move it
/// around (rehashing) without asserting uniqueness over memory that `&str`s point into.
struct Entry(NonNull<str>);

impl Entry {
    fn as_str(&self) -> &str {
        // SAFETY: the pointer came from `Box::into_raw` and is freed only in
        // `Scratch::drop`, after which no `Entry` is used.
        unsafe { self.0.as_ref() }
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}
impl Eq for Entry {}
impl Hash for Entry {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}
impl std::borrow::Borrow<str> for Entry {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

// SAFETY: the entries are uniquely owned heap strings; moving the scratch to another thread
// moves their ownership with it.
unsafe impl Send for Scratch {}

impl Scratch {
    /// A copy of `s` that lives as long as `self` is borrowed. The same text read twice
    /// (say, `get(0)` called twice on one tuple) is kept once.
    pub(crate) fn keep(&self, s: &str) -> &str {
        // SAFETY: `kept` is only reached through this method and `drop`. This method does
        // not call out to code that could re-enter it (hashing and comparing `str`s, and
        // allocating, only), so the `&mut` is unique for its duration. Entries are never
        // removed before `drop`, so the returned pointer stays valid for `&self`'s lifetime.
        let kept = unsafe { &mut *self.kept.get() }.get_or_insert_with(HashSet::new);
        let ptr = match kept.get(s) {
            Some(e) => e.0,
            None => {
                let e = Entry(NonNull::from(Box::leak(Box::<str>::from(s))));
                let ptr = e.0;
                kept.insert(e);
                ptr
            }
        };
        // SAFETY: see above; the entry outlives `&self`.
        unsafe { ptr.as_ref() }
    }

    /// Bytes as kept text when they are UTF-8, else `None` (serde_json only hands out
    /// byte strings for `&[u8]` targets, from the same escapes).
    fn keep_bytes(&self, b: &[u8]) -> Option<&[u8]> {
        std::str::from_utf8(b).ok().map(|s| self.keep(s).as_bytes())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for e in self.kept.get_mut().iter_mut().flat_map(|k| k.drain()) {
            // SAFETY: each pointer came from `Box::leak` and is freed exactly once, here.
            drop(unsafe { Box::from_raw(e.0.as_ptr()) });
        }
    }
}

impl fmt::Debug for Scratch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Scratch")
    }
}

/// A deserializer that turns transient strings into strings borrowed from a [`Scratch`].
pub(crate) struct Keep<'s, D> {
    de: D,
    scratch: &'s Scratch,
}

impl<'s, D> Keep<'s, D> {
    pub(crate) fn new(de: D, scratch: &'s Scratch) -> Self {
        Keep { de, scratch }
    }
}

/// The visitor, seed and access wrappers below all carry the scratch along, so that a
/// string met at any depth (a map key, a nested list, an enum variant) is borrowed too.
struct KeepVisitor<'s, V> {
    v: V,
    scratch: &'s Scratch,
}

struct KeepSeed<'s, S> {
    seed: S,
    scratch: &'s Scratch,
}

struct KeepAccess<'s, A> {
    a: A,
    scratch: &'s Scratch,
}

macro_rules! forward_deserialize {
    ($($method:ident $(($($arg:ident: $ty:ty),*))?;)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($($arg: $ty,)*)? visitor: V) -> Result<V::Value, D::Error> {
            self.de.$method($($($arg,)*)? KeepVisitor { v: visitor, scratch: self.scratch })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Keep<'de, D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any; deserialize_bool; deserialize_i8; deserialize_i16; deserialize_i32;
        deserialize_i64; deserialize_i128; deserialize_u8; deserialize_u16; deserialize_u32;
        deserialize_u64; deserialize_u128; deserialize_f32; deserialize_f64; deserialize_char;
        deserialize_str; deserialize_string; deserialize_bytes; deserialize_byte_buf;
        deserialize_option; deserialize_unit; deserialize_seq; deserialize_map;
        deserialize_identifier; deserialize_ignored_any;
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            self.v.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for KeepVisitor<'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.v.expecting(f)
    }

    forward_visit! {
        visit_bool(bool); visit_i8(i8); visit_i16(i16); visit_i32(i32); visit_i64(i64);
        visit_i128(i128); visit_u8(u8); visit_u16(u16); visit_u32(u32); visit_u64(u64);
        visit_u128(u128); visit_f32(f32); visit_f64(f64); visit_char(char);
        visit_borrowed_str(&'de str); visit_borrowed_bytes(&'de [u8]);
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.v.visit_borrowed_str(self.scratch.keep(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        self.v.visit_borrowed_str(self.scratch.keep(&v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        match self.scratch.keep_bytes(v) {
            Some(kept) => self.v.visit_borrowed_bytes(kept),
            None => self.v.visit_bytes(v),
        }
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
        match self.scratch.keep_bytes(&v) {
            Some(kept) => self.v.visit_borrowed_bytes(kept),
            None => self.v.visit_byte_buf(v),
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.v.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.v.visit_unit()
    }

    fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
        self.v.visit_some(Keep::new(d, self.scratch))
    }

    fn visit_newtype_struct<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
        self.v.visit_newtype_struct(Keep::new(d, self.scratch))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.v.visit_seq(KeepAccess {
            a: seq,
            scratch: self.scratch,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.v.visit_map(KeepAccess {
            a: map,
            scratch: self.scratch,
        })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.v.visit_enum(KeepAccess {
            a: data,
            scratch: self.scratch,
        })
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for KeepSeed<'de, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Keep::new(d, self.scratch))
    }
}

impl<'s, S> KeepSeed<'s, S> {
    fn new(seed: S, scratch: &'s Scratch) -> Self {
        KeepSeed { seed, scratch }
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for KeepAccess<'de, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.a.next_element_seed(KeepSeed::new(seed, self.scratch))
    }

    fn size_hint(&self) -> Option<usize> {
        self.a.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for KeepAccess<'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.a.next_key_seed(KeepSeed::new(seed, self.scratch))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.a.next_value_seed(KeepSeed::new(seed, self.scratch))
    }

    fn size_hint(&self) -> Option<usize> {
        self.a.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for KeepAccess<'de, A> {
    type Error = A::Error;
    type Variant = KeepAccess<'de, A::Variant>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), A::Error> {
        let scratch = self.scratch;
        let (value, variant) = self.a.variant_seed(KeepSeed::new(seed, scratch))?;
        Ok((
            value,
            KeepAccess {
                a: variant,
                scratch,
            },
        ))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for KeepAccess<'de, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.a.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.a
            .newtype_variant_seed(KeepSeed::new(seed, self.scratch))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.a.tuple_variant(
            len,
            KeepVisitor {
                v: visitor,
                scratch: self.scratch,
            },
        )
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.a.struct_variant(
            fields,
            KeepVisitor {
                v: visitor,
                scratch: self.scratch,
            },
        )
    }
}
