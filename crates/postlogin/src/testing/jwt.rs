//! HS256 JSON Web Tokens, as `api.redirect.encodeToken` / `validateToken` make and check them,
//! so native tests exchange real tokens with the "external site" a redirect goes to.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// Signs `claims` (a JSON object) with `secret`: `header.claims.signature`, base64url each.
pub fn sign(secret: &str, claims: &Map<String, Value>) -> String {
    let mut token = encode(HEADER.as_bytes());
    token.push('.');
    token.push_str(&encode(
        Value::Object(claims.clone()).to_string().as_bytes(),
    ));
    let signature = mac(secret, token.as_bytes());
    token.push('.');
    token.push_str(&encode(&signature));
    token
}

/// The claims of a token signed with `secret` by [`sign`] (or by any HS256 signer). The errors
/// are fixed texts: they never quote the token or the secret. Expiry is the caller's business.
pub fn verify(secret: &str, token: &str) -> Result<Map<String, Value>, &'static str> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the token is not a JWT");
    };
    let header: Value = decode_json(header).ok_or("the token is not a JWT")?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err("the token is not signed with HS256");
    }
    let signature = decode(signature).ok_or("the token is not a JWT")?;
    let signed = &token[..header_and_claims_len(token)];
    let mut check = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    check.update(signed.as_bytes());
    // Constant-time comparison, as a real verifier must do.
    if check.verify_slice(&signature).is_err() {
        return Err("the token's signature is not valid");
    }
    match decode_json(claims) {
        Some(Value::Object(claims)) => Ok(claims),
        _ => Err("the token's claims are not a JSON object"),
    }
}

fn header_and_claims_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

fn mac(secret: &str, data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn decode_json(part: &str) -> Option<Value> {
    serde_json::from_slice(&decode(part)?).ok()
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 7515 §2).
fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let word = chunk.iter().enumerate().fold(0u32, |word, (i, &byte)| {
            word | u32::from(byte) << (16 - 8 * i)
        });
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(word >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut word, mut bits) = (0u32, 0);
    for byte in text.bytes() {
        let value = ALPHABET.iter().position(|&c| c == byte)? as u32;
        word = word << 6 | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((word >> bits) as u8);
        }
    }
    // Leftover bits must be zero padding, and a lone sixth of a byte is not base64.
    (bits < 6 && word & ((1 << bits) - 1) == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn base64url_round_trips_every_length() {
        let bytes: Vec<u8> = (0..=255).collect();
        for len in 0..40 {
            assert_eq!(
                decode(&encode(&bytes[..len])).as_deref(),
                Some(&bytes[..len])
            );
        }
        assert_eq!(encode(b"\xfb\xff"), "-_8");
        assert_eq!(decode("a"), None);
        assert_eq!(decode("a+"), None);
    }

    #[test]
    fn a_known_hs256_token_is_reproduced() {
        // Signed independently with Node's crypto.createHmac("sha256", …) over the same bytes.
        let token = sign("your-256-bit-secret", &claims(json!({"sub": "1234567890"})));
        assert_eq!(
            token,
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.\
             dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
        );
    }

    #[test]
    fn tokens_verify_only_with_their_secret_and_intact() {
        let token = sign("s3cr3t-value", &claims(json!({"a": 1, "b": "x"})));
        assert_eq!(
            verify("s3cr3t-value", &token),
            Ok(claims(json!({"a": 1, "b": "x"})))
        );
        assert_eq!(
            verify("other", &token),
            Err("the token's signature is not valid")
        );
        let (head, _) = token.rsplit_once('.').unwrap();
        let forged = format!("{}.{}", head.replace("eyJh", "eyJi"), "AAAA");
        assert!(verify("s3cr3t-value", &forged).is_err());
        let tampered = sign("s3cr3t-value", &claims(json!({"a": 2, "b": "x"})));
        let spliced = format!(
            "{}.{}",
            tampered.rsplit_once('.').unwrap().0,
            token.rsplit_once('.').unwrap().1
        );
        assert_eq!(
            verify("s3cr3t-value", &spliced),
            Err("the token's signature is not valid")
        );
        assert_eq!(verify("s", "abc"), Err("the token is not a JWT"));
        let none = format!("{}.e30.", encode(br#"{"alg":"none"}"#));
        assert_eq!(
            verify("s", &none),
            Err("the token is not signed with HS256")
        );
    }
}
