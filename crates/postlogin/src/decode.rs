//! Typed values out of parsed JSON, with the path of whatever does not fit.
//!
//! The event is parsed once into a `serde_json::Value` (the one JSON deserializer the wasm carries,
//! needed anyway for HTTP bodies and claims) and then taken apart by these small conversions.
//! `#[derive(Deserialize)]` on the event's dozen structs tripled the Action's wasm: each struct
//! instantiates serde's visitor machinery, and type errors pull in float formatting.

use serde_json::{Map, Value};

use crate::lazy::Lazy;
use crate::text::{decimal, join};

/// Why a value does not fit, and where (outermost step first once complete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    path: Vec<String>,
    problem: String,
}

impl DecodeError {
    pub(crate) fn mismatch(expected: &str, found: &Value) -> Self {
        DecodeError {
            path: Vec::new(),
            problem: join!("expected ", expected, ", found ", kind_of(found)),
        }
    }

    pub(crate) fn missing(key: &str) -> Self {
        DecodeError {
            path: Vec::new(),
            problem: join!("missing field `", key, "`"),
        }
    }

    /// What a part the shim could not write as JSON text reads as.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn not_json() -> Self {
        DecodeError {
            path: Vec::new(),
            problem: "not JSON (a cycle or a BigInt)".into(),
        }
    }

    /// Prefixes a step: errors are built innermost first and travel outwards.
    pub(crate) fn at(mut self, step: String) -> Self {
        self.path.push(step);
        self
    }

    /// `user.identities[0].user_id: expected a string, found a number`
    pub(crate) fn message(&self) -> String {
        let mut path = String::new();
        for step in self.path.iter().rev() {
            if !path.is_empty() && !step.starts_with('[') {
                path.push('.');
            }
            path.push_str(step);
        }
        if path.is_empty() {
            self.problem.clone()
        } else {
            join!(path, ": ", self.problem)
        }
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A type that can be taken out of JSON. `absent` is its value when the field is missing or
/// null: `None` means the field is required.
/// Public only so that `Lazy` can name it in its bounds; the module is private, so nothing
/// outside the crate can.
pub trait FromJson: Sized {
    fn from_json(value: Value) -> Result<Self, DecodeError>;

    fn absent() -> Option<Self> {
        None
    }

    /// A part of the event still in the shim, read member by member without JSON when this
    /// type is a struct (see [`Fields::from_host`]); `AsJson` when it is read as JSON text.
    #[cfg(target_arch = "wasm32")]
    fn from_host(part: &'static str) -> HostRead<Self> {
        let _ = part;
        HostRead::AsJson
    }

    /// Why one of the parts of its own it holds (its `Lazy` fields) did not decode, of those
    /// read so far: the `Lazy` that holds it reports it as its own.
    fn part_error(&self) -> Option<&DecodeError> {
        None
    }

    /// Decodes the parts of its own not read yet.
    fn read_parts(&self) {}
}

/// What reading a part of the event straight from the shim came to.
#[cfg(target_arch = "wasm32")]
pub enum HostRead<T> {
    Decoded(Result<T, DecodeError>),
    /// Undefined or null.
    Absent,
    /// Not read member by member (not a struct, or the part is not an object): ask for its
    /// JSON text instead.
    AsJson,
}

impl FromJson for String {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        match value {
            Value::String(text) => Ok(text),
            other => Err(DecodeError::mismatch("a string", &other)),
        }
    }
}

impl FromJson for bool {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        value
            .as_bool()
            .ok_or_else(|| DecodeError::mismatch("a boolean", &value))
    }
}

impl FromJson for u64 {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        value
            .as_u64()
            .ok_or_else(|| DecodeError::mismatch("a whole number", &value))
    }
}

impl FromJson for f64 {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        value
            .as_f64()
            .ok_or_else(|| DecodeError::mismatch("a number", &value))
    }
}

impl FromJson for Value {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        Ok(value)
    }

    fn absent() -> Option<Self> {
        Some(Value::Null)
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        T::from_json(value).map(Some)
    }

    #[cfg(target_arch = "wasm32")]
    fn from_host(part: &'static str) -> HostRead<Self> {
        match T::from_host(part) {
            HostRead::Decoded(result) => HostRead::Decoded(result.map(Some)),
            HostRead::Absent => HostRead::Absent,
            HostRead::AsJson => HostRead::AsJson,
        }
    }

    fn part_error(&self) -> Option<&DecodeError> {
        self.as_ref()?.part_error()
    }

    fn read_parts(&self) {
        if let Some(value) = self {
            value.read_parts();
        }
    }

    fn absent() -> Option<Self> {
        Some(None)
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        let Value::Array(items) = value else {
            return Err(DecodeError::mismatch("an array", &value));
        };
        let mut decoded = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            decoded.push(
                T::from_json(item).map_err(|err| err.at(join!("[", decimal(index as u64), "]")))?,
            );
        }
        Ok(decoded)
    }

    fn absent() -> Option<Self> {
        Some(Vec::new())
    }
}

/// The members of an object, taken out one field at a time: from parsed JSON, or, for a part
/// of the event still in the shim, asked of it one by one (`host.member`), so a struct part
/// crosses without JSON on either side. The first error is kept aside rather than returned at
/// once: with no early return per field, a struct's conversion is a straight run of calls
/// instead of a cascade of partial drops (which dominated the wasm).
pub(crate) struct Fields {
    members: Members,
    error: Option<DecodeError>,
}

enum Members {
    Parsed(Map<String, Value>),
    /// The part of the event at this path, in the shim.
    #[cfg(target_arch = "wasm32")]
    Host(&'static str),
}

impl Fields {
    pub(crate) fn of(value: Value) -> Result<Fields, DecodeError> {
        match value {
            Value::Object(members) => Ok(Fields {
                members: Members::Parsed(members),
                error: None,
            }),
            other => Err(DecodeError::mismatch("an object", &other)),
        }
    }

    /// A struct part of the event, decoded by `decode` from its members as the shim hands
    /// them over, when the part is an object.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn from_host<T>(
        part: &'static str,
        decode: impl FnOnce(Fields) -> Result<T, DecodeError>,
    ) -> HostRead<T> {
        use crate::host::runtime::{event_part_kind, PartKind};
        match event_part_kind(part) {
            PartKind::Object => HostRead::Decoded(decode(Fields {
                members: Members::Host(part),
                error: None,
            })),
            PartKind::Absent => HostRead::Absent,
            PartKind::Other => HostRead::AsJson,
        }
    }

    /// Field `key` as a `T`; null counts as absent, as it does in Auth0's own code. On error,
    /// a placeholder: [`Fields::finish`] reports the error instead of the value. `'static`:
    /// the shim knows a key by its address after the first login.
    ///
    /// Only the match below is generic: every struct field instantiates it, so the lookup
    /// and the error bookkeeping live in the non-generic helpers.
    #[inline(never)]
    pub(crate) fn take<T: FromJson + Default>(&mut self, key: &'static str) -> T {
        let result = match self.remove(key) {
            None => T::absent().ok_or(None),
            Some(value) => T::from_json(value).map_err(Some),
        };
        result.unwrap_or_else(|err| {
            self.record(key, err);
            T::default()
        })
    }

    /// Field `key` as a part of its own, decoded when the Action first reads it (see `Lazy`),
    /// and named `path` in errors. In WebAssembly a part read member by member leaves such
    /// fields in the shim, to be asked for by `path` when read.
    pub(crate) fn lazy<T>(&mut self, key: &str, path: &'static str) -> Lazy<T> {
        match &mut self.members {
            Members::Parsed(members) => match take_member(members, key) {
                Some(value) => {
                    let mut lazy = Lazy::<T>::named(path);
                    lazy.part_mut().set_value(value);
                    lazy
                }
                None => Lazy::named(path),
            },
            #[cfg(target_arch = "wasm32")]
            Members::Host(_) => Lazy::from_host(path),
        }
    }

    /// The member `key`, if it is there and not null. One the shim cannot write as JSON
    /// reads as absent, and its error is recorded.
    fn remove(&mut self, key: &'static str) -> Option<Value> {
        match &mut self.members {
            Members::Parsed(members) => take_member(members, key),
            #[cfg(target_arch = "wasm32")]
            Members::Host(part) => {
                match host_member(crate::host::runtime::event_member(part, key)) {
                    Ok(value) => value,
                    Err(err) => {
                        self.record(key, Some(err));
                        None
                    }
                }
            }
        }
    }

    /// Keeps the first error: `None` stands for "missing".
    fn record(&mut self, key: &str, err: Option<DecodeError>) {
        if self.error.is_none() {
            self.error = Some(match err {
                Some(err) => err.at(key.to_owned()),
                None => DecodeError::missing(key),
            });
        }
    }

    pub(crate) fn finish<T>(self, decoded: T) -> Result<T, DecodeError> {
        match self.error {
            Some(err) => Err(err),
            None => Ok(decoded),
        }
    }
}

/// A member as the shim handed it over: `None` when absent or null.
#[cfg(target_arch = "wasm32")]
pub(crate) fn host_member(
    member: crate::host::runtime::Member,
) -> Result<Option<Value>, DecodeError> {
    use crate::host::runtime::Member;
    Ok(match member {
        Member::Absent => None,
        Member::Text(text) => Some(Value::String(text)),
        Member::Bool(value) => Some(Value::Bool(value)),
        Member::Json(text) => crate::json::parse(&text).filter(|value| !value.is_null()),
        Member::NotJson => return Err(DecodeError::not_json()),
    })
}

/// The value is taken out in place (null stays behind): `BTreeMap::remove` would bring the
/// tree's rebalancing code, kilobytes of wasm, for maps that are dropped right after.
fn take_member(members: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let value = std::mem::take(members.get_mut(key)?);
    (!value.is_null()).then_some(value)
}

/// Declares a struct of the event together with its conversion from JSON: each field names the
/// JSON key it comes from. Unknown keys are ignored; Auth0 adds fields over time.
macro_rules! json_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* pub $field:ident : $type:ty = $key:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $type, )*
        }

        impl $name {
            #[inline(never)]
            fn from_fields(
                mut fields: $crate::decode::Fields,
            ) -> Result<Self, $crate::decode::DecodeError> {
                let decoded = $name { $( $field: fields.take($key), )* };
                fields.finish(decoded)
            }
        }

        impl $crate::decode::FromJson for $name {
            fn from_json(value: serde_json::Value) -> Result<Self, $crate::decode::DecodeError> {
                Self::from_fields($crate::decode::Fields::of(value)?)
            }

            #[cfg(target_arch = "wasm32")]
            fn from_host(part: &'static str) -> $crate::decode::HostRead<Self> {
                $crate::decode::Fields::from_host(part, Self::from_fields)
            }
        }
    };
}
pub(crate) use json_struct;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    json_struct! {
        pub struct Inner {
            pub id: String = "id",
            pub tags: Vec<String> = "tags",
        }
    }

    json_struct! {
        pub struct Outer {
            pub inner: Option<Inner> = "inner",
            pub items: Vec<Inner> = "items",
            pub count: Option<u64> = "count",
            pub flag: Option<bool> = "flagName",
            pub free: Value = "free",
        }
    }

    fn decode(value: Value) -> Result<Outer, String> {
        Outer::from_json(value).map_err(|err| err.message())
    }

    #[test]
    fn absent_and_null_optional_fields_take_their_defaults() {
        let outer = decode(json!({"inner": null, "unknown": [1]})).unwrap();
        assert!(outer.inner.is_none() && outer.items.is_empty() && outer.free.is_null());
        let outer =
            decode(json!({"inner": {"id": "a", "tags": ["t"]}, "count": 3, "flagName": true}))
                .unwrap();
        let inner = outer.inner.unwrap();
        assert_eq!(
            (inner.id.as_str(), inner.tags.as_slice()),
            ("a", ["t".to_owned()].as_slice())
        );
        assert_eq!((outer.count, outer.flag), (Some(3), Some(true)));
    }

    #[test]
    fn errors_carry_the_full_path_and_no_value() {
        let cases = [
            (
                json!({"items": [{"id": "a"}, {"id": 5}]}),
                "items[1].id: expected a string, found a number",
            ),
            (
                json!({"inner": {"id": "a", "tags": ["x", "SECRET", false]}}),
                "inner.tags[2]: expected a string, found a boolean",
            ),
            (json!({"inner": {}}), "inner: missing field `id`"),
            (
                json!({"count": -1}),
                "count: expected a whole number, found a number",
            ),
            (
                json!({"flagName": "true"}),
                "flagName: expected a boolean, found a string",
            ),
            (json!("SECRET"), "expected an object, found a string"),
        ];
        for (value, expected) in cases {
            assert_eq!(decode(value).unwrap_err(), expected);
        }
    }
}
