//! JSON text in and out: the event, the backend's answers, the outcome, claim sizes.
//!
//! A small parser and printer written for size, the same code natively and in WebAssembly, so
//! `cargo test` exercises exactly what runs in Auth0. serde_json's own parser and printer (with
//! their error machinery and float algorithms) would each add kilobytes to every Action; what is
//! left of floats is delegated to the host (`float.rs`: the JavaScript engine in the wasm).
//! `serde_json::Value` stays the one JSON type an Action sees.

mod float;

use serde_json::{Map, Number, Value};

/// Nesting deeper than this is refused rather than recursed into (serde_json's limit too).
const MAX_DEPTH: u32 = 128;

/// Parses JSON text; `None` when it is not JSON (or nests deeper than 128 levels).
pub(crate) fn parse(text: &str) -> Option<Value> {
    let mut parser = Parser::new(text);
    let value = parser.value(0)?;
    parser.at_end().then_some(value)
}

/// The members of a JSON object as `(name, value text)`, without parsing the values: the
/// event's parts are parsed only when the Action reads them. `None` when `text` is not an
/// object; a malformed member value is only found when (and if) that member is parsed.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn object_members(text: &str) -> Option<Vec<(String, &str)>> {
    let mut parser = Parser::new(text);
    let mut members = Vec::new();
    parser.members(|parser, name| {
        parser.skip_whitespace();
        let start = parser.at;
        parser.skip_value()?;
        members.push((name, text.get(start..parser.at)?));
        Some(())
    })?;
    parser.at_end().then_some(members)
}

/// Checks that `text` is one JSON value, by the same rules as [`parse`], without building it;
/// answers its length once the whitespace between tokens is left out (what printing the
/// value compactly would take, give or take how its strings are escaped).
pub(crate) fn check(text: &str) -> Option<usize> {
    let mut parser = Parser::new(text);
    parser.check_value(0)?;
    parser.at_end().then(|| text.len() - parser.blank)
}

/// Prints a value as compact JSON text, object members in the map's (sorted) order.
pub(crate) fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

struct Parser<'a> {
    source: &'a str,
    bytes: &'a [u8],
    at: usize,
    /// Whitespace bytes skipped between tokens so far.
    blank: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            source: text,
            bytes: text.as_bytes(),
            at: 0,
            blank: 0,
        }
    }

    /// An object, from its `{` (after any whitespace) to its `}`: `member` reads each value,
    /// given its name.
    fn members(&mut self, mut member: impl FnMut(&mut Self, String) -> Option<()>) -> Option<()> {
        if !self.eat(b'{') {
            return None;
        }
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return None;
            }
            let name = self.string()?;
            if !self.eat(b':') {
                return None;
            }
            member(self, name)?;
            if self.eat(b'}') {
                return Some(());
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    // Inlined: the parser peeks at every byte, and at `opt-level = "z"` each peek is a call.
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
            self.blank += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_whitespace();
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn at_end(&mut self) -> bool {
        self.skip_whitespace();
        self.at == self.bytes.len()
    }

    /// Moves past one value without building it: brackets are counted, strings skipped whole.
    #[cfg(not(target_arch = "wasm32"))]
    fn skip_value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    loop {
                        match *self.bytes.get(self.at)? {
                            b'"' => break,
                            b'\\' => self.at += 2,
                            _ => self.at += 1,
                        }
                    }
                    self.at += 1;
                }
                b'{' | b'[' => {
                    depth += 1;
                    self.at += 1;
                }
                b'}' | b']' => {
                    if depth == 0 {
                        return None; // a closing bracket where a value should start
                    }
                    depth -= 1;
                    self.at += 1;
                }
                b',' | b' ' | b'\t' | b'\n' | b'\r' | b':' if depth > 0 => self.at += 1,
                b',' | b' ' | b'\t' | b'\n' | b'\r' | b':' => return None,
                _ => {
                    // A number or a literal: up to the next delimiter.
                    let start = self.at;
                    while let Some(byte) = self.peek() {
                        if matches!(
                            byte,
                            b',' | b'}'
                                | b']'
                                | b' '
                                | b'\t'
                                | b'\n'
                                | b'\r'
                                | b':'
                                | b'"'
                                | b'{'
                                | b'['
                        ) {
                            break;
                        }
                        self.at += 1;
                    }
                    if self.at == start {
                        return None;
                    }
                }
            }
            if depth == 0 {
                return Some(());
            }
        }
    }

    /// [`Parser::value`]'s grammar, building nothing.
    fn check_value(&mut self, depth: u32) -> Option<()> {
        self.skip_whitespace();
        match self.peek()? {
            // Names are checked as strings, not copied out as `members` would.
            open @ (b'{' | b'[') if depth < MAX_DEPTH => {
                let (object, close) = (open == b'{', open + 2); // `}` and `]` follow `{` and `[` by 2
                self.at += 1;
                if self.eat(close) {
                    return Some(());
                }
                loop {
                    if object {
                        self.skip_whitespace();
                        if self.peek() != Some(b'"') {
                            return None;
                        }
                        self.check_string()?;
                        if !self.eat(b':') {
                            return None;
                        }
                    }
                    self.check_value(depth + 1)?;
                    if self.eat(close) {
                        return Some(());
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'"' => self.check_string(),
            b't' => self.literal(b"true", ()),
            b'f' => self.literal(b"false", ()),
            b'n' => self.literal(b"null", ()),
            b'-' | b'0'..=b'9' => {
                let start = self.at;
                self.number_span()?;
                within_f64_range(self.source.get(start..self.at)?).then_some(())
            }
            _ => None,
        }
    }

    /// At the opening quote: moves past the string, checking its escapes.
    fn check_string(&mut self) -> Option<()> {
        loop {
            self.at += 1;
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => {
                    self.at += 1;
                    match *self.bytes.get(self.at)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => drop(self.hex4()?),
                        _ => return None,
                    }
                }
                0..=0x1f => return None,
                _ => {}
            }
        }
    }

    fn literal<T>(&mut self, word: &[u8], value: T) -> Option<T> {
        let found = self.bytes.get(self.at..self.at + word.len()) == Some(word);
        self.at += word.len();
        found.then_some(value)
    }

    fn value(&mut self, depth: u32) -> Option<Value> {
        self.skip_whitespace();
        match self.peek()? {
            b'{' if depth < MAX_DEPTH => {
                let mut members = Map::new();
                self.members(|parser, name| {
                    // A repeated name keeps its last value, as JSON.parse does.
                    members.insert(name, parser.value(depth + 1)?);
                    Some(())
                })?;
                Some(Value::Object(members))
            }
            b'[' if depth < MAX_DEPTH => {
                self.at += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Some(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b']') {
                        return Some(Value::Array(items));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'"' => self.string().map(Value::String),
            b't' => self.literal(b"true", Value::Bool(true)),
            b'f' => self.literal(b"false", Value::Bool(false)),
            b'n' => self.literal(b"null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// At the opening quote; returns the unescaped text.
    fn string(&mut self) -> Option<String> {
        self.at += 1;
        let mut out = String::new();
        let mut run = self.at; // start of the bytes not yet copied
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => {
                    out.push_str(self.text(run)?);
                    self.at += 1;
                    return Some(out);
                }
                b'\\' => {
                    out.push_str(self.text(run)?);
                    self.at += 1;
                    let escaped = match *self.bytes.get(self.at)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    out.push(escaped);
                    self.at += 1;
                    run = self.at;
                }
                0..=0x1f => return None,
                _ => self.at += 1,
            }
        }
    }

    /// Runs start and end at ASCII bytes of a `&str`, so the slice is always on char
    /// boundaries; `get` checks that in constant time (no UTF-8 re-validation), and a bug
    /// becomes `None` rather than a panic.
    fn text(&self, run: usize) -> Option<&'a str> {
        self.source.get(run..self.at)
    }

    /// At the `u` of `\uXXXX`; leaves `at` on the last hex digit. A lone surrogate (which
    /// `JSON.stringify` can emit) becomes U+FFFD rather than an error.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first)
            && self.bytes.get(self.at + 1..self.at + 3) == Some(b"\\u")
        {
            let resume = self.at;
            self.at += 2;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return char::from_u32(code);
            }
            self.at = resume;
        }
        Some(char::from_u32(first).unwrap_or('\u{FFFD}'))
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut code = 0;
        for _ in 0..4 {
            self.at += 1;
            let digit = (*self.bytes.get(self.at)? as char).to_digit(16)?;
            code = code * 16 + digit;
        }
        Some(code)
    }

    /// Moves past a number; whether it is an integer (no fraction, no exponent).
    fn number_span(&mut self) -> Option<bool> {
        let negative = self.peek() == Some(b'-');
        self.at += usize::from(negative);
        let integer_start = self.at;
        self.digits();
        let integer_digits = self.at - integer_start;
        if integer_digits == 0 || (integer_digits > 1 && self.bytes[integer_start] == b'0') {
            return None;
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return None;
            }
            integral = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if self.digits() == 0 {
                return None;
            }
            integral = false;
        }
        Some(integral)
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        let integer_start = self.at + usize::from(negative);
        if self.number_span()? {
            let magnitude = self.bytes[integer_start..self.at]
                .iter()
                .try_fold(0u64, |n, digit| {
                    n.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
                });
            match magnitude {
                Some(n) if !negative => return Some(Value::Number(n.into())),
                // `-0` is the float negative zero, as JSON.parse and serde_json read it.
                Some(n) if n != 0 && n <= 1 << 63 => {
                    return Some(Value::Number((0i64.wrapping_sub_unsigned(n)).into()))
                }
                _ => {} // beyond 64 bits: a float, as JSON.parse reads it
            }
        }
        let text = self.source.get(start..self.at)?;
        Number::from_f64(float::parse(text)).map(Value::Number)
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        self.at - start
    }
}

/// Whether a number the grammar accepted is finite as an `f64`, as [`parse`] requires (`1e400`
/// is not): by its count of digits and its exponent when that settles it, which it does for
/// anything below 10^308, and by parsing it only beyond.
fn within_f64_range(number: &str) -> bool {
    let bytes = number.as_bytes();
    let split = bytes
        .iter()
        .position(|byte| matches!(byte, b'e' | b'E'))
        .unwrap_or(bytes.len());
    let (mantissa, exponent) = bytes.split_at(split);
    // Below 10^digits before the exponent applies.
    let digits = mantissa
        .iter()
        .skip_while(|byte| matches!(byte, b'-' | b'0'))
        .take_while(|byte| byte.is_ascii_digit())
        .count()
        .min(100_000) as i32;
    let (mut power, mut negative) = (0i32, false);
    for &byte in exponent {
        match byte {
            b'-' => negative = true,
            b'0'..=b'9' => power = (power * 10 + i32::from(byte - b'0')).min(100_000),
            _ => {}
        }
    }
    digits + if negative { -power } else { power } <= 308 || float::parse(number).is_finite()
}

pub(crate) fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => write_number(out, number),
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (index, (name, member)) in members.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(out, name);
                out.push(':');
                write_value(out, member);
            }
            out.push('}');
        }
    }
}

fn write_number(out: &mut String, number: &Number) {
    if let Some(n) = number.as_u64() {
        write_integer(out, n);
    } else if let Some(n) = number.as_i64() {
        out.push('-');
        write_integer(out, n.unsigned_abs());
    } else {
        out.push_str(&float::print(number.as_f64().unwrap_or_default()));
    }
}

/// Digits by hand: `u64`'s `Display` brings core::fmt's integer machinery along.
pub(crate) fn write_integer(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &digit in &digits[start..] {
        out.push(char::from(digit));
    }
}

/// Escapes what JSON requires (quote, backslash, control characters), as JSON.stringify does.
pub(crate) fn write_string(out: &mut String, text: &str) {
    out.push('"');
    crate::text::push_escaped(
        out,
        text,
        |byte| !matches!(byte, b'"' | b'\\' | 0..=0x1f),
        |out, byte| match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                out.push_str("\\u00");
                crate::text::push_hex(out, byte, b"0123456789abcdef");
            }
        },
    );
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_what_serde_json_parses_to_the_same_value() {
        let texts = [
            r#"{"user":{"user_id":"auth0|1","email_verified":true,"logins":42,"roles":["a","b"]}}"#,
            r#" [ 1 , -2 , 0 , -0 , 3.5 , -1e3 , 2E-2 , 1e400000 ] "#,
            r#"{"big":18446744073709551615,"neg":-9223372036854775808,"huge":18446744073709551616}"#,
            r#""esc\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#,
            r#"{"a":1,"a":2}"#,
            "null",
            "true",
            r#"{"nested":{"deeper":[{},[],"",{"x":null}]}}"#,
            "\"h\u{e9}llo \u{1f600}\"",
        ];
        for text in texts {
            let expected: Option<Value> = serde_json::from_str(text).ok();
            assert_eq!(parse(text), expected, "{text}");
            assert_eq!(check(text).is_some(), expected.is_some(), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_json() {
        for text in [
            "",
            " ",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "01",
            "-",
            "1.",
            ".5",
            "1e",
            "+1",
            "\"unterminated",
            "\"ctl\u{1}\"",
            "\"\\x\"",
            "\"\\u12\"",
            "tru",
            "nul",
            "[1 2]",
            "{\"a\" 1}",
            "1 2",
            "<html>",
            "NaN",
            "Infinity",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
            assert_eq!(check(text), None, "{text:?}");
            assert!(serde_json::from_str::<Value>(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn a_lone_surrogate_becomes_the_replacement_character() {
        assert_eq!(parse(r#""a\ud800b""#), Some(json!("a\u{fffd}b")));
        assert_eq!(
            parse(r#""\udc00\ud800\u0041""#),
            Some(json!("\u{fffd}\u{fffd}A"))
        );
    }

    #[test]
    fn numbers_beyond_f64_are_refused_when_checked_as_when_parsed() {
        let long = |digits: usize| "9".repeat(digits);
        for (text, finite) in [
            ("1e308".to_owned(), true),
            ("-1.7976931348623157e308".to_owned(), true),
            ("1.8e308".to_owned(), false),
            ("-1e309".to_owned(), false),
            ("0.00001e312".to_owned(), true),
            ("1e-400".to_owned(), true),
            ("1E+400".to_owned(), false),
            (long(308), true),
            (long(309), false),
            (format!("{}.5e-20", long(320)), true),
        ] {
            assert_eq!(parse(&text).is_some(), finite, "{text}");
            assert_eq!(check(&text).is_some(), finite, "{text}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "[".repeat(128) + &"]".repeat(128);
        assert!(parse(&deep).is_some());
        assert_eq!(check(&deep), Some(256));
        let too_deep = "[".repeat(129) + &"]".repeat(129);
        assert_eq!(parse(&too_deep), None);
        assert_eq!(check(&too_deep), None);
        let absurd = "[".repeat(100_000);
        assert_eq!(parse(&absurd), None);
        assert_eq!(check(&absurd), None);
        let deep_objects = "{\"a\":".repeat(129) + "1" + &"}".repeat(129);
        assert_eq!(check(&deep_objects), None);
    }

    #[test]
    fn object_members_split_without_parsing_and_each_part_parses_alone() {
        let text = r#" { "user" : {"name": "a \"}] b", "ids": [1, {"x": [2]}]}, "n": -1.5e3,
            "s": "x\\", "t": true, "z": null, "e": {}, "a": [] } "#;
        let members = object_members(text).unwrap();
        let names: Vec<&str> = members.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["user", "n", "s", "t", "z", "e", "a"]);
        let whole = parse(text).unwrap();
        for (name, part) in &members {
            assert_eq!(parse(part).as_ref(), whole.get(name), "{name}: {part}");
        }
    }

    #[test]
    fn object_members_refuse_what_is_not_an_object() {
        for text in [
            "[]",
            "\"x\"",
            "1",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{\"a\":1} x",
            "{\"a\":\"unterminated}",
            "{a:1}",
        ] {
            assert_eq!(object_members(text), None, "{text}");
        }
        assert_eq!(object_members(" {} "), Some(Vec::new()));
    }

    /// A tiny deterministic generator, so a failure is reproducible.
    struct Random(u64);

    impl Random {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }

        fn value(&mut self, depth: u32) -> Value {
            match self.below(if depth > 3 { 5 } else { 7 }) {
                0 => Value::Null,
                1 => Value::Bool(self.below(2) == 0),
                2 => json!(self.below(1 << 40) as i64 - (1 << 39)),
                3 => json!(self.below(1000) as f64 / 8.0 - 60.0),
                4 => {
                    let pool = [
                        "", "a", "\"", "\\", "\n", "é", "😀", "}]", "{\"x\":[", "\u{1}",
                    ];
                    Value::String(
                        (0..self.below(4))
                            .map(|_| pool[self.below(10) as usize])
                            .collect(),
                    )
                }
                5 => Value::Array((0..self.below(4)).map(|_| self.value(depth + 1)).collect()),
                _ => Value::Object(
                    (0..self.below(4))
                        .map(|i| (format!("k{i}{}", self.below(3)), self.value(depth + 1)))
                        .collect(),
                ),
            }
        }
    }

    #[test]
    fn random_documents_parse_and_split_as_serde_json_reads_them() {
        let mut random = Random(42);
        for _ in 0..2000 {
            let value = random.value(0);
            let text = serde_json::to_string_pretty(&value).unwrap();
            assert_eq!(parse(&text).as_ref(), Some(&value), "{text}");
            let compact = serde_json::to_string(&value).unwrap();
            assert_eq!(check(&text), Some(compact.len()), "{text}");
            if let Value::Object(members) = &value {
                let split = object_members(&text).unwrap();
                assert_eq!(split.len(), members.len(), "{text}");
                for (name, part) in split {
                    assert_eq!(parse(part).as_ref(), members.get(&name), "{text}");
                }
            }
        }
    }

    #[test]
    fn damaged_documents_never_panic_and_never_parse_differently() {
        let mut random = Random(7);
        for _ in 0..3000 {
            let mut bytes = serde_json::to_vec(&random.value(0)).unwrap();
            for _ in 0..=random.below(3) {
                if bytes.is_empty() {
                    break;
                }
                let at = random.below(bytes.len() as u64) as usize;
                match random.below(3) {
                    0 => {
                        let noise = b"{}[]\",:0\\ ae-.";
                        bytes[at] = noise[random.below(noise.len() as u64) as usize];
                    }
                    1 => drop(bytes.remove(at)),
                    _ => bytes.truncate(at),
                }
            }
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            let theirs: Option<Value> = serde_json::from_str(&text).ok();
            assert_eq!(parse(&text), theirs, "{text}");
            assert_eq!(check(&text).is_some(), theirs.is_some(), "{text}");
            let _ = object_members(&text);
        }
    }

    #[test]
    fn prints_what_serde_json_prints() {
        let values = [
            json!({"b": [1, -2, 0, u64::MAX, i64::MIN], "a": {"x": null, "y": true, "z": false}}),
            json!(
                "quote \" backslash \\ newline \n tab \t ctl \u{1} \u{1f} del \u{7f} é 😀 \u{2028}"
            ),
            json!([]),
            json!({}),
            json!(""),
        ];
        for value in values {
            assert_eq!(to_string(&value), serde_json::to_string(&value).unwrap());
            assert_eq!(parse(&to_string(&value)), Some(value));
        }
    }

    #[test]
    fn floats_round_trip() {
        for number in [
            0.5,
            -1.25,
            1e21,
            1.5e-7,
            123456.789,
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            let value = json!(number);
            let text = to_string(&value);
            assert_eq!(parse(&text), Some(value), "{text}");
        }
    }
}
