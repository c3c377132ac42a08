//! Declaring a component's output streams.
//!
//! ```
//! use plugin_api::{StreamDecl, fields, stream, direct_stream};
//!
//! const WORDS: &[StreamDecl] = &[fields(&["word"])];                // the default stream
//! const SPLIT: &[StreamDecl] = &[stream("index", &["url", "ts"]), stream("topic", &["url"])];
//! const JOBS: &[StreamDecl] = &[direct_stream("jobs", &["job"])];  // for emit-direct
//! assert_eq!(WORDS[0].name, "default");
//! # let _ = (SPLIT, JOBS);
//! ```

/// One declared output stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamDecl {
    /// Stream id.
    pub name: &'static str,
    /// Field names, in order.
    pub fields: &'static [&'static str],
    /// A direct stream (consumed with a direct grouping, emitted with `Emit::direct`).
    pub direct: bool,
}

/// The `default` stream with these fields.
pub const fn fields(fields: &'static [&'static str]) -> StreamDecl {
    stream("default", fields)
}

/// A named stream.
pub const fn stream(name: &'static str, fields: &'static [&'static str]) -> StreamDecl {
    StreamDecl {
        name,
        fields,
        direct: false,
    }
}

/// A named direct stream.
pub const fn direct_stream(name: &'static str, fields: &'static [&'static str]) -> StreamDecl {
    StreamDecl {
        name,
        fields,
        direct: true,
    }
}

/// The JSON form carried in the ABI: `{"default":{"fields":["word"],"direct":false}}`.
pub fn outputs_json(streams: &[StreamDecl]) -> String {
    let mut map = serde_json::Map::new();
    for s in streams {
        map.insert(
            s.name.to_owned(),
            serde_json::json!({ "fields": s.fields, "direct": s.direct }),
        );
    }
    serde_json::Value::Object(map).to_string()
}
