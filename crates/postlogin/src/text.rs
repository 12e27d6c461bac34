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
}
