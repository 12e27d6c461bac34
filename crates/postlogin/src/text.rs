//! Text for errors, logs and cache keys, built without `core::fmt`.
//!
//! In the wasm, one `format!` on a path an Action can take keeps Rust's whole formatting
//! machinery alive: `core::fmt::write` calls through vtables, so every `Display`/`Debug` in the
//! function table stays (`Debug for char` alone brings Unicode tables). That is about 9 kB of
//! every Action's wasm for messages made of a few fixed words, a name and a number.

/// The parts (anything `AsRef<str>`: `&str`, `String`, `Cow<str>`) one after another.
macro_rules! join {
    ($($part:expr),+ $(,)?) => {{
        let mut text = ::std::string::String::new();
        $(text.push_str(::core::convert::AsRef::<str>::as_ref(&$part));)+
        text
    }};
}
pub(crate) use join;

/// `n` in decimal.
pub(crate) fn decimal(n: u64) -> String {
    digits(n, 10, 1)
}

/// `n` in lower-case hexadecimal, zero-padded to `width` digits.
pub(crate) fn hex(n: u64, width: usize) -> String {
    digits(n, 16, width)
}

fn digits(mut n: u64, radix: u64, width: usize) -> String {
    // Written from the end: u64::MAX takes 20 decimal digits.
    let mut buffer = [b'0'; 20];
    let mut start = buffer.len();
    while n > 0 || buffer.len() - start < width {
        start -= 1;
        buffer[start] = b"0123456789abcdef"[(n % radix) as usize];
        n /= radix;
    }
    from_ascii(buffer[start..].to_vec())
}

/// Text of bytes known to be ASCII, without checking them again (`String::from_utf8` would
/// walk them once more, for an error that cannot happen).
pub(crate) fn from_ascii(bytes: Vec<u8>) -> String {
    debug_assert!(bytes.is_ascii());
    // SAFETY: ASCII is UTF-8; every caller writes ASCII bytes only.
    unsafe { String::from_utf8_unchecked(bytes) }
}

/// Appends `text` to `out` with each byte that `keep` refuses written by `escape` instead:
/// the runs in between are copied whole (a `push` per byte is a call per byte in this
/// size-optimised build). `escape` must be given every byte of a non-ASCII character, or
/// none.
pub(crate) fn push_escaped(
    out: &mut String,
    text: &str,
    keep: impl Fn(u8) -> bool,
    escape: impl Fn(&mut String, u8),
) {
    let (bytes, mut run) = (text.as_bytes(), 0);
    // An index, not `enumerate()`: that is a call per byte here too.
    #[expect(
        clippy::needless_range_loop,
        reason = "`enumerate()` is a call per byte here"
    )]
    for at in 0..bytes.len() {
        if keep(bytes[at]) {
            continue;
        }
        // `get` rather than indexing: a str index that could panic links `Debug for char` and
        // its Unicode tables into every Action. A run that is not empty holds whole
        // characters; an empty one may fall inside a character, where `get` gives nothing,
        // which is what it holds.
        out.push_str(text.get(run..at).unwrap_or_default());
        escape(out, bytes[at]);
        run = at + 1;
    }
    out.push_str(text.get(run..).unwrap_or_default());
}

/// `byte` as two hexadecimal digits out of `digits` (upper or lower case).
pub(crate) fn push_hex(out: &mut String, byte: u8, digits: &[u8; 16]) {
    out.push(char::from(digits[usize::from(byte >> 4)]));
    out.push(char::from(digits[usize::from(byte & 15)]));
}

/// `String::from_utf8_lossy`, in a fraction of its wasm (it is 1.2 kB of an Action): the same
/// U+FFFD for each maximal sequence that is not UTF-8, found by the same `Utf8Error`.
#[cfg(any(target_arch = "wasm32", test))]
pub(crate) fn decode_lossy(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                text.push_str(valid);
                return text;
            }
            Err(err) => {
                let valid = rest.get(..err.valid_up_to()).unwrap_or_default();
                // SAFETY: `from_utf8` found these bytes valid.
                text.push_str(unsafe { std::str::from_utf8_unchecked(valid) });
                text.push('\u{FFFD}');
                let skip = err.valid_up_to() + err.error_len().map_or(rest.len(), usize::from);
                rest = rest.get(skip..).unwrap_or_default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_what_fmt_prints() {
        for n in [0, 1, 9, 10, 255, 4096, 65_535, 1_000_000_007, u64::MAX] {
            assert_eq!(decimal(n), n.to_string());
            assert_eq!(hex(n, 16), format!("{n:016x}"));
            assert_eq!(hex(n, 1), format!("{n:x}"));
        }
    }

    #[test]
    fn join_takes_str_string_and_cow() {
        let name = String::from("backend");
        let service: std::borrow::Cow<'static, str> = "token endpoint".into();
        assert_eq!(
            join!(service, " and ", name, " at ", decimal(3), ""),
            "token endpoint and backend at 3"
        );
    }

    #[test]
    fn answers_that_are_not_utf8_decode_as_the_standard_library_decodes_them() {
        let cases: [&[u8]; 10] = [
            b"",
            b"{\"plain\": \"ascii\"}",
            "\"caf\u{e9} \u{1f600}\"".as_bytes(),
            b"\"a\xff\xfeb\"",
            b"\xc3",
            b"ok \xe2\x82",
            b"\xed\xa0\x80 surrogate",
            b"\xc0\xaf overlong",
            b"\xf4\x90\x80\x80 past U+10FFFF",
            b"\x80\x80\xe2\x82\xac\xf0\x9f",
        ];
        for bytes in cases {
            assert_eq!(
                decode_lossy(bytes),
                String::from_utf8_lossy(bytes),
                "{bytes:?}"
            );
        }
    }
}
