//! Typed values out of JSON text, with the path of whatever does not fit.
//!
//! The event's parts arrive as JSON text, and each struct of the event reads its members
//! straight from the parser (`json.rs`): a member's value is decoded as its field's type, an
//! unknown member is skipped (checked, never built), and a `serde_json::Value` is built only for
//! the fields that are dynamic JSON. No map per object is built, searched and dropped.
//! `#[derive(Deserialize)]` on the event's dozen structs tripled the Action's wasm: each struct
//! instantiates serde's visitor machinery, and type errors pull in float formatting.
//!
//! Natively the same types also decode from a parsed `Value` (`Event::from_json`), and the tests
//! check that both ways agree, errors included.

#[cfg(not(target_arch = "wasm32"))]
use serde_json::Map;
use serde_json::Value;

use crate::json::{Parser, MAX_DEPTH};
use crate::text::{decimal, join};

/// Why a value does not fit, and where (outermost step first once complete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    path: Vec<String>,
    problem: String,
}

impl DecodeError {
    pub(crate) fn mismatch(expected: &str, found: &Value) -> Self {
        DecodeError::expected(expected, kind_of(found))
    }

    fn expected(expected: &str, found: &str) -> Self {
        DecodeError {
            path: Vec::new(),
            problem: join!("expected ", expected, ", found ", found),
        }
    }

    pub(crate) fn missing(key: &str) -> Self {
        DecodeError {
            path: Vec::new(),
            problem: join!("missing field `", key, "`"),
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

/// What [`FromJson::from_text`] answers: `None` when the text is not JSON (which wins over any
/// type error: a part that is not JSON reads as absent), else the value or why it does not fit.
pub(crate) type Decoded<T> = Option<Result<T, DecodeError>>;

/// A type that can be taken out of JSON. `absent` is its value when the field is missing or
/// null: `None` means the field is required.
/// Public only so that `Lazy` can name it in its bounds; the module is private, so nothing
/// outside the crate can.
pub trait FromJson: Sized {
    /// From a parsed value (natively only: `Event::from_json`, and the tests' reference).
    #[cfg(not(target_arch = "wasm32"))]
    fn from_json(value: Value) -> Result<Self, DecodeError>;

    /// From the text, the parser being at the value's first byte (whitespace skipped) and
    /// `depth` levels deep (as [`Parser::value`] counts them). The value is consumed whole even
    /// when it does not fit, so that text which is not JSON is always found.
    fn from_text(parser: &mut Parser<'_>, depth: u32) -> Decoded<Self>;

    fn absent() -> Option<Self> {
        None
    }

    /// Whether `absent` is `Some`: a field of this type may be missing.
    const OPTIONAL: bool = false;
}

/// The value at the parser is not what was expected: it is skipped (and must still be JSON),
/// and the mismatch names what it is.
#[inline(never)]
fn mismatched(parser: &mut Parser<'_>, depth: u32, expected: &str) -> Option<DecodeError> {
    let found = match parser.peek()? {
        b'{' => "an object",
        b'[' => "an array",
        b'"' => "a string",
        b't' | b'f' => "a boolean",
        b'n' => "null",
        _ => "a number",
    };
    parser.skip(depth)?;
    Some(DecodeError::expected(expected, found))
}

/// A part of the event, from its whole text; `None` when it is absent: null, or not JSON (as a
/// part the shim could not send reads, see `Lazy`).
pub(crate) fn part<T: FromJson>(text: &str) -> Decoded<T> {
    let mut parser = Parser::new(text);
    parser.skip_whitespace();
    if parser.peek()? == b'n' {
        return None; // null, or not JSON: absent either way
    }
    let decoded = T::from_text(&mut parser, 0)?;
    parser.at_end().then_some(decoded)
}

impl FromJson for String {
    #[cfg(not(target_arch = "wasm32"))]
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        match value {
            Value::String(text) => Ok(text),
            other => Err(DecodeError::mismatch("a string", &other)),
        }
    }

    fn from_text(parser: &mut Parser<'_>, depth: u32) -> Decoded<Self> {
        if parser.peek() == Some(b'"') {
            return parser.string().map(Ok);
        }
        mismatched(parser, depth, "a string").map(Err)
    }
}

impl FromJson for bool {
    #[cfg(not(target_arch = "wasm32"))]
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        value
            .as_bool()
            .ok_or_else(|| DecodeError::mismatch("a boolean", &value))
    }

    fn from_text(parser: &mut Parser<'_>, depth: u32) -> Decoded<Self> {
        match parser.peek() {
            Some(b't') => parser.literal(b"true", Value::Null).map(|_| Ok(true)),
            Some(b'f') => parser.literal(b"false", Value::Null).map(|_| Ok(false)),
            _ => mismatched(parser, depth, "a boolean").map(Err),
        }
    }
}

/// A number read as `Value` reads it, converted by `convert`, or the mismatch.
fn number<T>(
    parser: &mut Parser<'_>,
    depth: u32,
    expected: &str,
    convert: fn(&Value) -> Option<T>,
) -> Decoded<T> {
    if let Some(b'-' | b'0'..=b'9') = parser.peek() {
        let number = parser.number()?;
        return Some(convert(&number).ok_or_else(|| DecodeError::mismatch(expected, &number)));
    }
    mismatched(parser, depth, expected).map(Err)
}

impl FromJson for u64 {
    #[cfg(not(target_arch = "wasm32"))]
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        value
            .as_u64()
            .ok_or_else(|| DecodeError::mismatch("a whole number", &value))
    }

    fn from_text(parser: &mut Parser<'_>, depth: u32) -> Decoded<Self> {
        number(parser, depth, "a whole number", Value::as_u64)
    }
}

impl FromJson for f64 {
    #[cfg(not(target_arch = "wasm32"))]
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        value
            .as_f64()
            .ok_or_else(|| DecodeError::mismatch("a number", &value))
    }

    fn from_text(parser: &mut Parser<'_>, depth: u32) -> Decoded<Self> {
        number(parser, depth, "a number", Value::as_f64)
    }
}

impl FromJson for Value {
    const OPTIONAL: bool = true;

    #[cfg(not(target_arch = "wasm32"))]
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        Ok(value)
    }

    fn from_text(parser: &mut Parser<'_>, depth: u32) -> Decoded<Self> {
        parser.value(depth).map(Ok)
    }

    fn absent() -> Option<Self> {
        Some(Value::Null)
    }
}

impl<T: FromJson> FromJson for Option<T> {
    const OPTIONAL: bool = true;

    #[cfg(not(target_arch = "wasm32"))]
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        T::from_json(value).map(Some)
    }

    fn from_text(parser: &mut Parser<'_>, depth: u32) -> Decoded<Self> {
        T::from_text(parser, depth).map(|decoded| decoded.map(Some))
    }

    fn absent() -> Option<Self> {
        Some(None)
    }
}

fn index_step(index: usize) -> String {
    join!("[", decimal(index as u64), "]")
}

impl<T: FromJson> FromJson for Vec<T> {
    const OPTIONAL: bool = true;

    #[cfg(not(target_arch = "wasm32"))]
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        let Value::Array(items) = value else {
            return Err(DecodeError::mismatch("an array", &value));
        };
        let mut decoded = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            decoded.push(T::from_json(item).map_err(|err| err.at(index_step(index)))?);
        }
        Ok(decoded)
    }

    /// The first item that does not fit is the error; the items after it are still read, to
    /// find text that is not JSON.
    fn from_text(parser: &mut Parser<'_>, depth: u32) -> Decoded<Self> {
        let mut items = match Items::open(parser, depth) {
            Ok(items) => items,
            Err(not_an_array) => return not_an_array.map(Err),
        };
        let mut decoded = Vec::new();
        while items.next(parser)? {
            match T::from_text(parser, depth + 1)? {
                Ok(item) if items.error.is_none() => decoded.push(item),
                Ok(_) => {}
                Err(err) => items.fail(err),
            }
        }
        Some(match items.error {
            Some(err) => Err(err),
            None => Ok(decoded),
        })
    }

    fn absent() -> Option<Self> {
        Some(Vec::new())
    }
}

/// An array's items as they are read (the bookkeeping of `Vec<T>`'s decoding, once for every
/// `T`): the first item that does not fit is the error.
struct Items {
    first: bool,
    index: usize,
    error: Option<DecodeError>,
}

impl Items {
    fn open(parser: &mut Parser<'_>, depth: u32) -> Result<Self, Option<DecodeError>> {
        if parser.peek() != Some(b'[') || depth >= MAX_DEPTH {
            return Err(mismatched(parser, depth, "an array"));
        }
        Ok(Items {
            first: true,
            index: 0,
            error: None,
        })
    }

    /// Whether there is one more item, the parser at it; `None` when the array is not JSON.
    fn next(&mut self, parser: &mut Parser<'_>) -> Option<bool> {
        if !self.first {
            self.index += 1;
        }
        parser.item(&mut self.first)
    }

    fn fail(&mut self, err: DecodeError) {
        if self.error.is_none() {
            self.error = Some(err.at(index_step(self.index)));
        }
    }
}

/// An object's members as they are read, in the text's order, each decoded in place into its
/// field (the struct starts as `Default`, which is every optional field's absent value). What
/// `Fields` gives the `Value` path is kept exactly: null counts as absent (as it does in Auth0's
/// own code); a repeated member replaces what the earlier one left, its error included (as
/// `JSON.parse` keeps the last); and the error reported is the one of the first field in
/// declaration order, however the members are ordered. Errors are rare: they wait in a list.
pub(crate) struct Members {
    keys: &'static [&'static str],
    /// The object's depth (see [`FromJson::from_text`]).
    depth: u32,
    /// Still at the object's `{`.
    first: bool,
    /// A member's value was not JSON: the object is not either.
    broken: bool,
    /// Bit `i`: field `i` was given a value that is not null.
    present: u64,
    errors: Vec<(usize, DecodeError)>,
}

impl Members {
    /// At what should be an object `depth` levels deep, with fields named `keys`; if it is
    /// not one, what [`FromJson::from_text`] answers instead.
    pub(crate) fn open(
        parser: &mut Parser<'_>,
        depth: u32,
        keys: &'static [&'static str],
    ) -> Result<Self, Option<DecodeError>> {
        if parser.peek() != Some(b'{') {
            return Err(mismatched(parser, depth, "an object"));
        }
        if depth >= MAX_DEPTH {
            return Err(None);
        }
        Ok(Members {
            keys,
            depth,
            first: true,
            broken: false,
            present: 0,
            errors: Vec::new(),
        })
    }

    /// The next member that is a field, by the field's index, the parser at its value;
    /// other members are skipped. `Some(None)` at the object's end, `None` when the object is
    /// not JSON.
    pub(crate) fn next(&mut self, parser: &mut Parser<'_>) -> Option<Option<usize>> {
        loop {
            if self.broken {
                return None;
            }
            let Some(key) = parser.member(&mut self.first)? else {
                return Some(None);
            };
            if let Some(index) = self.keys.iter().position(|known| *known == key) {
                return Some(Some(index));
            }
            parser.skip(self.depth + 1)?;
        }
    }

    /// Reads the value of the member for field `index` into `field`. Only the decoding is
    /// generic: the bookkeeping lives in `at_value` and `settle`.
    #[inline(never)]
    pub(crate) fn put<T: FromJson + Default>(
        &mut self,
        parser: &mut Parser<'_>,
        field: &mut T,
        index: usize,
    ) {
        if !self.at_value(parser, index) {
            *field = T::default();
            return;
        }
        match T::from_text(parser, self.depth + 1) {
            None => self.broken = true,
            Some(Ok(value)) => {
                *field = value;
                self.settle(index, None, true);
            }
            Some(Err(err)) => self.settle(index, Some(err), false),
        }
    }

    /// Whether the member's value is to be decoded: null (absent) is dealt with here.
    fn at_value(&mut self, parser: &mut Parser<'_>, index: usize) -> bool {
        parser.skip_whitespace();
        if parser.peek() != Some(b'n') {
            return true;
        }
        match parser.literal(b"null", Value::Null) {
            Some(_) => self.settle(index, None, false),
            None => self.broken = true,
        }
        false
    }

    /// The latest member for field `index` decides whether it is present, and its error.
    #[inline(never)]
    fn settle(&mut self, index: usize, error: Option<DecodeError>, present: bool) {
        if present {
            self.present |= 1 << index;
        } else {
            self.present &= !(1 << index);
        }
        if !self.errors.is_empty() {
            self.errors.retain(|(field, _)| *field != index);
        }
        if let Some(err) = error {
            let key = self.keys.get(index).copied().unwrap_or_default();
            self.errors.push((index, err.at(key.to_owned())));
        }
    }

    /// The decoded struct, or the error of its first field (in declaration order) that did
    /// not fit or is missing; `required` has bit `i` set when field `i` has no absent value.
    pub(crate) fn finish<T>(self, decoded: T, required: u64) -> Decoded<T> {
        Some(match self.error(required) {
            Some(err) => Err(err),
            None => Ok(decoded),
        })
    }

    #[inline(never)]
    fn error(self, required: u64) -> Option<DecodeError> {
        let missing = (required & !self.present).trailing_zeros() as usize;
        let mut first: Option<(usize, DecodeError)> = None;
        for (index, err) in self.errors {
            if first.as_ref().is_none_or(|(earliest, _)| index < *earliest) {
                first = Some((index, err));
            }
        }
        match first {
            Some((index, err)) if index <= missing => Some(err),
            _ if missing < 64 => Some(DecodeError::missing(
                self.keys.get(missing).copied().unwrap_or_default(),
            )),
            _ => None,
        }
    }
}

/// The position of `key` in `keys`, at compile time (for the macro's match).
pub(crate) const fn index_of(keys: &[&str], key: &str) -> usize {
    let mut index = 0;
    while index < keys.len() {
        let (a, b) = (keys[index].as_bytes(), key.as_bytes());
        if a.len() == b.len() {
            let mut at = 0;
            while at < a.len() && a[at] == b[at] {
                at += 1;
            }
            if at == a.len() {
                return index;
            }
        }
        index += 1;
    }
    panic!("a key of json_struct! not in its list")
}

/// The first error among a struct's fields, in the order they are declared (the `Value` path,
/// natively only). The error is kept aside rather than returned at once: with no early return
/// per field, a struct's conversion is a straight run of calls.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Default)]
pub(crate) struct FirstError(Option<DecodeError>);

#[cfg(not(target_arch = "wasm32"))]
impl FirstError {
    /// The field `key` as found (`None`: absent or null); on error, a placeholder:
    /// [`FirstError::finish`] reports the error instead of the value.
    ///
    /// Only the match below is generic: every struct field instantiates it.
    #[inline(never)]
    pub(crate) fn take<T: FromJson + Default>(
        &mut self,
        key: &str,
        found: Option<Result<T, DecodeError>>,
    ) -> T {
        let result = match found {
            None => T::absent().ok_or(None),
            Some(result) => result.map_err(Some),
        };
        result.unwrap_or_else(|err| {
            self.record(key, err);
            T::default()
        })
    }

    /// Keeps the first error: `None` stands for "missing".
    fn record(&mut self, key: &str, err: Option<DecodeError>) {
        if self.0.is_none() {
            self.0 = Some(match err {
                Some(err) => err.at(key.to_owned()),
                None => DecodeError::missing(key),
            });
        }
    }

    pub(crate) fn finish<T>(self, decoded: T) -> Result<T, DecodeError> {
        match self.0 {
            Some(err) => Err(err),
            None => Ok(decoded),
        }
    }
}

/// The members of a parsed JSON object, taken out one field at a time (natively only).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) struct Fields {
    members: Map<String, Value>,
    pub(crate) first: FirstError,
}

#[cfg(not(target_arch = "wasm32"))]
impl Fields {
    pub(crate) fn of(value: Value) -> Result<Fields, DecodeError> {
        match value {
            Value::Object(members) => Ok(Fields {
                members,
                first: FirstError::default(),
            }),
            other => Err(DecodeError::mismatch("an object", &other)),
        }
    }

    /// Field `key` as a `T`; null counts as absent.
    pub(crate) fn take<T: FromJson + Default>(&mut self, key: &str) -> T {
        let found = self.remove(key).map(T::from_json);
        self.first.take(key, found)
    }

    /// The value is taken out in place (null stays behind): `BTreeMap::remove` would bring
    /// the tree's rebalancing code for maps that are dropped right after.
    fn remove(&mut self, key: &str) -> Option<Value> {
        let value = std::mem::take(self.members.get_mut(key)?);
        (!value.is_null()).then_some(value)
    }
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

        impl $crate::decode::FromJson for $name {
            #[cfg(not(target_arch = "wasm32"))]
            #[inline(never)]
            fn from_json(value: serde_json::Value) -> Result<Self, $crate::decode::DecodeError> {
                let mut fields = $crate::decode::Fields::of(value)?;
                let decoded = $name { $( $field: fields.take($key), )* };
                fields.first.finish(decoded)
            }

            /// One pass over the members, each decoded in place (see
            /// [`$crate::decode::Members`]).
            #[inline(never)]
            fn from_text(
                parser: &mut $crate::json::Parser<'_>,
                depth: u32,
            ) -> $crate::decode::Decoded<Self> {
                const KEYS: &[&str] = &[$( $key, )*];
                const { assert!(KEYS.len() <= 64, "Members keeps a bit per field") };
                const REQUIRED: u64 = 0 $(
                    | if <$type as $crate::decode::FromJson>::OPTIONAL {
                        0
                    } else {
                        1 << $crate::decode::index_of(KEYS, $key)
                    }
                )*;
                let mut members = match $crate::decode::Members::open(parser, depth, KEYS) {
                    Ok(members) => members,
                    Err(not_an_object) => return not_an_object.map(Err),
                };
                let mut decoded = Self::default();
                while let Some(index) = members.next(parser)? {
                    match index {
                        $(
                            index if index == const { $crate::decode::index_of(KEYS, $key) } => {
                                members.put(parser, &mut decoded.$field, index)
                            }
                        )*
                        _ => {}
                    }
                }
                members.finish(decoded, REQUIRED)
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

    /// Both ways, which must agree: from the parsed value and straight from its text.
    fn decode(value: Value) -> Result<Outer, String> {
        let text = crate::json::to_string(&value);
        let from_text = part::<Outer>(&text).map(|decoded| decoded.map_err(|err| err.message()));
        let from_value = Outer::from_json(value).map_err(|err| err.message());
        assert_eq!(
            format!("{from_text:?}"),
            format!("{:?}", Some(&from_value)),
            "{text}"
        );
        from_value
    }

    /// What a part's text decodes to through the `Value` path (as `Event::from_json_str`
    /// would): `None` when it is not JSON or null.
    fn through_value<T: FromJson>(text: &str) -> Option<Result<T, String>> {
        let value = crate::json::parse(text).filter(|value| !value.is_null())?;
        Some(T::from_json(value).map_err(|err| err.message()))
    }

    fn through_text<T: FromJson>(text: &str) -> Option<Result<T, String>> {
        part::<T>(text).map(|decoded| decoded.map_err(|err| err.message()))
    }

    /// Random JSON text shaped like `Outer` often enough to get deep: known keys (one of them
    /// escaped), unknown ones, repeated ones, every kind of value, random whitespace.
    struct Random(u64);

    impl Random {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }

        fn pick<'a>(&mut self, pool: &[&'a str]) -> &'a str {
            pool[self.below(pool.len() as u64) as usize]
        }

        fn space(&mut self, out: &mut String) {
            out.push_str(self.pick(&["", "", "", " ", "\n  ", "\t"]));
        }

        fn value(&mut self, out: &mut String, depth: u32) {
            self.space(out);
            let compound = if depth > 4 { 0 } else { 3 };
            match self.below(9 + compound) {
                0 => out.push_str("null"),
                1 => out.push_str(self.pick(&["true", "false"])),
                2 => out.push_str(self.pick(&[
                    "0",
                    "7",
                    "-1",
                    "-0",
                    "1.5",
                    "2e3",
                    "18446744073709551615",
                    "18446744073709551616",
                    "-9223372036854775808",
                    "1e400",
                ])),
                3..=5 => out.push_str(self.pick(&[
                    "\"\"",
                    "\"a\"",
                    "\"t\\\"q\"",
                    "\"\\u00e9\\ud83d\\ude00\"",
                    "\"}]\"",
                    "\"SECRET\"",
                    "\"\\ud800\"",
                ])),
                6..=9 => {
                    out.push('{');
                    for index in 0..self.below(5) {
                        if index > 0 {
                            out.push(',');
                        }
                        self.space(out);
                        out.push_str(self.pick(&[
                            "\"inner\"",
                            "\"items\"",
                            "\"count\"",
                            "\"flagName\"",
                            "\"free\"",
                            "\"id\"",
                            "\"tags\"",
                            "\"i\\u0064\"",
                            "\"x\"",
                            "\"flagname\"",
                        ]));
                        self.space(out);
                        out.push(':');
                        self.value(out, depth + 1);
                    }
                    self.space(out);
                    out.push('}');
                }
                _ => {
                    out.push('[');
                    for index in 0..self.below(4) {
                        if index > 0 {
                            out.push(',');
                        }
                        self.value(out, depth + 1);
                    }
                    out.push(']');
                }
            }
            self.space(out);
        }

        fn damage(&mut self, text: String) -> String {
            let mut bytes = text.into_bytes();
            for _ in 0..=self.below(2) {
                if bytes.is_empty() {
                    break;
                }
                let at = self.below(bytes.len() as u64) as usize;
                match self.below(3) {
                    0 => {
                        let noise = b"{}[]\",:0\\ ae-.n";
                        bytes[at] = noise[self.below(noise.len() as u64) as usize];
                    }
                    1 => drop(bytes.remove(at)),
                    _ => bytes.truncate(at),
                }
            }
            String::from_utf8(bytes).unwrap_or_default()
        }
    }

    #[test]
    fn random_documents_decode_from_text_as_from_their_value() {
        let mut random = Random(2026);
        let (mut decoded, mut failed, mut absent) = (0, 0, 0);
        for round in 0..20_000 {
            let mut text = String::new();
            random.value(&mut text, 0);
            if round % 4 == 3 {
                text = random.damage(text);
            }
            let expected = through_value::<Outer>(&text);
            let found = through_text::<Outer>(&text);
            assert_eq!(format!("{found:?}"), format!("{expected:?}"), "{text}");
            match expected {
                Some(Ok(_)) => decoded += 1,
                Some(Err(_)) => failed += 1,
                None => absent += 1,
            }
            // The other types, on the same text.
            assert_eq!(
                format!("{:?}", through_text::<Vec<Inner>>(&text)),
                format!("{:?}", through_value::<Vec<Inner>>(&text)),
                "{text}"
            );
            assert_eq!(
                format!("{:?}", through_text::<Option<u64>>(&text)),
                format!("{:?}", through_value::<Option<u64>>(&text)),
                "{text}"
            );
        }
        // Each outcome is well represented, so the comparison means something.
        assert!(
            decoded > 1000 && failed > 1000 && absent > 1000,
            "{decoded} {failed} {absent}"
        );
    }

    #[test]
    fn optional_says_what_absent_says() {
        fn check<T: FromJson>() {
            assert_eq!(T::OPTIONAL, T::absent().is_some());
        }
        check::<String>();
        check::<bool>();
        check::<u64>();
        check::<f64>();
        check::<Value>();
        check::<Option<String>>();
        check::<Vec<Inner>>();
        check::<Inner>();
        check::<crate::event::User>();
    }

    #[test]
    fn the_first_error_is_the_first_declared_field_whatever_the_order_of_members() {
        let text = r#"{"free": 1, "flagName": "x", "count": -1, "items": [{"id": 1}]}"#;
        assert_eq!(
            through_text::<Outer>(text).unwrap().unwrap_err(),
            "items[0].id: expected a string, found a number"
        );
        let text = r#"{"tags": [1], "x": 2}"#;
        assert_eq!(
            through_text::<Inner>(text).unwrap().unwrap_err(),
            "missing field `id`"
        );
    }

    #[test]
    fn a_repeated_member_keeps_its_last_value_and_only_its_error() {
        let text = r#"{"count": "bad", "flagName": true, "count": 2, "flagName": null}"#;
        let outer = through_text::<Outer>(text).unwrap().unwrap();
        assert_eq!((outer.count, outer.flag), (Some(2), None));
        assert_eq!(
            through_text::<Outer>(r#"{"count": 1, "count": "bad"}"#)
                .unwrap()
                .unwrap_err(),
            "count: expected a whole number, found a string"
        );
        assert_eq!(
            through_value::<Outer>(text).unwrap().unwrap().count,
            Some(2)
        );
    }

    #[test]
    fn text_that_is_not_json_is_absent_even_after_a_type_error() {
        for text in [
            r#"{"count": "bad", "x": [1,]}"#,
            r#"{"items": [{"id": 1}], "free": tru}"#,
            r#"{"count": 1e400}"#,
            r#"{"inner": {"id": "a"}} x"#,
            "",
            "null",
            "nul",
        ] {
            assert!(through_text::<Outer>(text).is_none(), "{text}");
            assert!(through_value::<Outer>(text).is_none(), "{text}");
        }
    }

    #[test]
    fn nesting_is_bounded_as_the_parser_bounds_it() {
        for depth in [126, 127, 128, 129] {
            for text in [
                r#"{"free": "#.to_owned() + &"[".repeat(depth) + &"]".repeat(depth) + "}",
                r#"{"x": "#.to_owned() + &"[".repeat(depth) + &"]".repeat(depth) + "}",
                r#"{"items": [{"tags": "#.to_owned()
                    + &"[".repeat(depth)
                    + &"]".repeat(depth)
                    + "}]}",
            ] {
                assert_eq!(
                    format!("{:?}", through_text::<Outer>(&text)),
                    format!("{:?}", through_value::<Outer>(&text)),
                    "{depth}"
                );
            }
        }
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
