//! JSON text passed on as it came: a backend's answer into a claim without being parsed into a
//! tree and printed again, once for each token.

use std::fmt;

use serde_json::Value;

use crate::json;

/// One JSON value as text, checked by the rules the SDK parses JSON by (so the runtime's
/// `JSON.parse` of it cannot fail), and kept as text.
///
/// Building a [`Value`] from an answer costs an allocation per string, array and object, and
/// the claim prints it again for each token: for a few kilobytes of answer, more than the rest
/// of the login. `RawJson` costs one pass over the text. Take it
/// ([`Response::json_raw`](crate::Response::json_raw)) to pass an answer on unchanged; take a
/// [`Value`] to look inside it.
///
/// Cloning it copies the text, as cloning a `String` does: sharing it would cost more wasm in
/// every Action than the copy costs time.
#[derive(Clone)]
pub struct RawJson {
    text: String,
    /// The text's length without the whitespace between its tokens: what it weighs in a token.
    compact_len: usize,
}

impl RawJson {
    /// `None` unless `text` is exactly one JSON value (whitespace around it allowed).
    pub fn parse(text: &str) -> Option<RawJson> {
        Some(RawJson {
            compact_len: json::check(text)?,
            text: text.into(),
        })
    }

    /// The text, as it came.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Its length as compact JSON text, as it counts in a token.
    pub(crate) fn compact_len(&self) -> usize {
        self.compact_len
    }

    /// The value the text holds.
    pub fn to_value(&self) -> Value {
        // Checked when made: the fallback is never taken.
        json::parse(&self.text).unwrap_or_default()
    }
}

/// Equal when they hold the same value, however each text is laid out.
impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text || self.to_value() == other.to_value()
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawJson({})", self.text)
    }
}

/// What a JSON argument of an `api` method can be given as: anything that converts into a
/// [`Value`] (a `json!`, a string, a number, …), or [`RawJson`] passed on as it is.
pub trait JsonArgument: sealed::Sealed {
    /// The value a [`Command`](crate::Command) holds, and the text the shim gets instead when
    /// it came as text. In WebAssembly that value is `null`, never printed: not building the
    /// value is the point; natively it is the value, for tests to read.
    #[doc(hidden)]
    fn into_parts(self) -> (Value, Option<RawJson>);
}

impl<T: Into<Value>> JsonArgument for T {
    fn into_parts(self) -> (Value, Option<RawJson>) {
        (self.into(), None)
    }
}

impl JsonArgument for RawJson {
    fn into_parts(self) -> (Value, Option<RawJson>) {
        #[cfg(target_arch = "wasm32")]
        let value = Value::Null;
        #[cfg(not(target_arch = "wasm32"))]
        let value = self.to_value();
        (value, Some(self))
    }
}

mod sealed {
    pub trait Sealed {}
    impl<T: Into<serde_json::Value>> Sealed for T {}
    impl Sealed for super::RawJson {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_one_json_value_is_raw_json() {
        let raw = RawJson::parse(" {\"b\": [1, 2.5], \"a\": \"x y\"}\n").unwrap();
        assert_eq!(raw.as_str(), " {\"b\": [1, 2.5], \"a\": \"x y\"}\n");
        assert_eq!(raw.to_value(), json!({"a": "x y", "b": [1, 2.5]}));
        assert_eq!(raw.compact_len(), r#"{"b":[1,2.5],"a":"x y"}"#.len());
        // The text goes into the outcome as it is: it must not be able to end its command.
        let breakout = r#"1]},{"api":"access.deny","args":["x"]"#;
        for text in ["", "{} {}", "{\"a\":}", "<html>", "1e999", breakout] {
            assert!(RawJson::parse(text).is_none(), "{text}");
        }
    }

    #[test]
    fn equal_when_the_values_are() {
        let spaced = RawJson::parse("{ \"a\": 1, \"b\": [true] }").unwrap();
        assert_eq!(spaced, RawJson::parse(r#"{"b":[true],"a":1}"#).unwrap());
        assert_ne!(spaced, RawJson::parse(r#"{"a":1}"#).unwrap());
    }
}
