//! Base URLs and the one way to put user data into a URL: percent-encoded, never by hand.
//!
//! A full URL parser (the `url` crate, with IDNA tables) would cost more than the rest of an Action
//! in wasm bytes; Actions only need to check a configured base and append encoded segments.

use std::fmt;

use crate::text::join;

/// An `http(s)://host[:port][/path]` with no query, no fragment and no trailing slash.
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl {
    url: String,
    /// [`is_plain_http_beyond_loopback`], worked out once: a secret's URL is checked on every
    /// login.
    plain_http_beyond_loopback: bool,
}

impl BaseUrl {
    /// Checks a full URL. The reasons are fixed strings: the URL itself may be confidential.
    pub fn parse(text: &str) -> Result<BaseUrl, &'static str> {
        let text = text.trim();
        let rest = match split_scheme(text) {
            Some((scheme, rest))
                if scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http") =>
            {
                rest
            }
            _ => return Err("it must start with https:// or http://"),
        };
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("it contains spaces or control characters");
        }
        if before_any(text, b"?#").len() < text.len() {
            return Err("it must not have a query or a fragment");
        }
        let authority = before_any(rest, b"/");
        if authority.is_empty() {
            return Err("it has no host");
        }
        if before_any(authority, b"@").len() < authority.len() {
            return Err("it must not carry credentials");
        }
        let end = text
            .bytes()
            .rposition(|byte| byte != b'/')
            .map_or(0, |at| at + 1);
        let url = text.get(..end).unwrap_or(text);
        Ok(BaseUrl {
            plain_http_beyond_loopback: is_plain_http_beyond_loopback(url),
            url: url.to_owned(),
        })
    }

    /// Like [`BaseUrl::parse`], but a bare host name means `https://host`.
    pub fn parse_host_or_origin(text: &str) -> Result<BaseUrl, &'static str> {
        let text = text.trim();
        // Not `contains("://")`: a substring search costs 2 kB of wasm; the scheme check is exact.
        if text
            .bytes()
            .zip(text.bytes().skip(1))
            .any(|pair| pair == (b':', b'/'))
        {
            BaseUrl::parse(text)
        } else {
            BaseUrl::parse(&join!("https://", text))
        }
    }

    /// This URL with `/`-joined path segments appended, each percent-encoded as ONE segment:
    /// `join(["api", "users", "a/b@c"])` → `…/api/users/a%2Fb%40c`.
    pub fn join<I, S>(&self, segments: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut url = self.url.clone();
        for segment in segments {
            url.push('/');
            url.push_str(&encode_component(segment.as_ref()));
        }
        url
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// Whether this is plain `http://` to a host other than loopback (see
    /// [`is_plain_http_beyond_loopback`]).
    pub(crate) fn is_plain_http_beyond_loopback(&self) -> bool {
        self.plain_http_beyond_loopback
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({})", self.url)
    }
}

/// Whether `url` is plain `http://` to a host other than loopback (`localhost`, `127.x.y.z`,
/// `[::1]`): a clear-text hop that anyone on the way can read and rewrite.
pub(crate) fn is_plain_http_beyond_loopback(url: &str) -> bool {
    match split_scheme(url) {
        Some((scheme, rest)) => scheme.eq_ignore_ascii_case("http") && !is_loopback(host_of(rest)),
        None => false,
    }
}

/// `host` of `host:port/path` (userinfo dropped, IPv6 brackets kept).
fn host_of(authority_and_path: &str) -> &str {
    let authority = before_any(authority_and_path, b"/?#");
    let bytes = authority.as_bytes();
    let authority = match bytes.iter().rposition(|&byte| byte == b'@') {
        Some(at) => authority.get(at + 1..).unwrap_or_default(),
        None => authority,
    };
    match authority.bytes().position(|byte| byte == b']') {
        Some(end) if authority.starts_with('[') => authority.get(..=end).unwrap_or(authority),
        _ => before_any(authority, b":"),
    }
}

/// `text` up to the first of the ASCII bytes `stops`. Bytes, not a `char` pattern: that
/// machinery walks the text a character at a time, and a secret's URL is read on every login.
pub(crate) fn before_any<'a>(text: &'a str, stops: &[u8]) -> &'a str {
    #[expect(
        clippy::manual_contains,
        reason = "`contains` calls `memchr` once per byte"
    )]
    let end = text
        .bytes()
        .position(|byte| stops.iter().any(|&stop| stop == byte));
    // An ASCII byte always starts a character: the slice cannot fail.
    end.and_then(|end| text.get(..end)).unwrap_or(text)
}

fn is_loopback(host: &str) -> bool {
    let mut octets = 0;
    let dotted_quad = host.split('.').all(|octet| {
        octets += 1;
        octet.parse::<u8>().is_ok()
    });
    host.eq_ignore_ascii_case("localhost")
        || host == "[::1]"
        || (host.starts_with("127.") && dotted_quad && octets == 4)
}

/// `("https", "host/path")` for `https://host/path`. A byte scan rather than `split_once("://")`:
/// the substring searcher behind that is 2 kB of wasm.
pub(crate) fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let at = text
        .as_bytes()
        .windows(3)
        .position(|window| window == b"://")?;
    Some((text.get(..at)?, text.get(at + 3..)?))
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so the result is safe as a
/// path segment, a query key or a query value alike (`+`, `/`, `?`, `#`, `%`, `@` included).
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    crate::text::push_escaped(
        &mut out,
        text,
        |byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~'),
        |out, byte| {
            out.push('%');
            crate::text::push_hex(out, byte, b"0123456789ABCDEF");
        },
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_keep_only_unreserved_characters() {
        assert_eq!(encode_component("alice@example.com"), "alice%40example.com");
        assert_eq!(
            encode_component("a+b/c?d#e%f g"),
            "a%2Bb%2Fc%3Fd%23e%25f%20g"
        );
        assert_eq!(encode_component("\"q\"'"), "%22q%22%27");
        assert_eq!(encode_component("jü"), "j%C3%BC");
        assert_eq!(encode_component("A-z_0.9~"), "A-z_0.9~");
    }

    #[test]
    fn base_urls_accept_origins_and_paths() {
        let base = BaseUrl::parse("https://api.example.com/v1/").unwrap();
        assert_eq!(base.as_str(), "https://api.example.com/v1");
        assert_eq!(
            base.join(["users", "a/b"]),
            "https://api.example.com/v1/users/a%2Fb"
        );
    }

    #[test]
    fn schemes_split_at_the_first_separator() {
        assert_eq!(split_scheme("https://a/b://c"), Some(("https", "a/b://c")));
        assert_eq!(split_scheme("urn:x"), None);
        assert_eq!(split_scheme("://"), Some(("", "")));
    }

    #[test]
    fn schemes_are_case_insensitive() {
        assert_eq!(
            BaseUrl::parse("HTTPS://api.example.com").unwrap().as_str(),
            "HTTPS://api.example.com"
        );
        assert!(BaseUrl::parse("Http://127.0.0.1:80").is_ok());
        assert_eq!(
            BaseUrl::parse("httpx://a"),
            Err("it must start with https:// or http://")
        );
    }

    #[test]
    fn plain_http_is_insecure_beyond_loopback() {
        for (url, insecure) in [
            ("https://form.example", false),
            ("http://localhost:3000/form", false),
            ("http://127.0.0.1:8080", false),
            ("http://[::1]:80/x", false),
            ("HTTP://form.example", true),
            ("http://127.0.0.1.evil.example", true),
            ("http://127.255.000.9", false),
            ("http://127.256.0.1", true),
            ("http://127.0..1", true),
            ("http://127.0.0.1000", true),
            ("http://user@127.0.0.1:1/x", false),
            ("http://127.0.0.1@evil.example", true),
            ("http://[::2]", true),
        ] {
            // A request's URL may carry credentials; a BaseUrl may not, and is checked alike.
            assert_eq!(is_plain_http_beyond_loopback(url), insecure, "{url}");
            if let Ok(base) = BaseUrl::parse(url) {
                assert_eq!(base.is_plain_http_beyond_loopback(), insecure, "{url}");
            }
        }
    }

    #[test]
    fn bare_hosts_mean_https() {
        assert_eq!(
            BaseUrl::parse_host_or_origin("tenant.eu.auth0.com")
                .unwrap()
                .as_str(),
            "https://tenant.eu.auth0.com"
        );
        assert_eq!(
            BaseUrl::parse_host_or_origin("http://127.0.0.1:4321/")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:4321"
        );
    }

    #[test]
    fn unusable_urls_are_refused_with_a_reason() {
        let cases = [
            ("ftp://x", "it must start with https:// or http://"),
            ("example.com", "it must start with https:// or http://"),
            ("https://", "it has no host"),
            ("https:///path", "it has no host"),
            (
                "https://a b.com",
                "it contains spaces or control characters",
            ),
            (
                "https://a.com/?q=1",
                "it must not have a query or a fragment",
            ),
            ("https://user:pw@a.com", "it must not carry credentials"),
        ];
        for (text, reason) in cases {
            assert_eq!(BaseUrl::parse(text), Err(reason), "{text}");
        }
        assert_eq!(
            BaseUrl::parse_host_or_origin("bad host"),
            Err("it contains spaces or control characters")
        );
    }
}
