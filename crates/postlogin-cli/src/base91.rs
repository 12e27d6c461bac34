//! basE91 (Joachim Henke's): binary as printable ASCII at ~1.23 characters per byte, against
//! base64's 1.33. The embedded wasm is most of an Action's bytes, and Auth0 caps code at 100 kB.
//! The alphabet has no `'` and no `\`, so the text sits in a single-quoted JS string as it is.

pub const ALPHABET: &[u8; 91] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,./:;<=>?@[]^_`{|}~\"";

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 5 / 4 + 2);
    let (mut queue, mut bits) = (0u32, 0u32);
    let mut push = |value: u32| out.push(ALPHABET[value as usize] as char);
    for &byte in bytes {
        queue |= u32::from(byte) << bits;
        bits += 8;
        if bits > 13 {
            // 13 bits when they leave room for a second digit below 91, else 14.
            let mut value = queue & 8191;
            if value > 88 {
                queue >>= 13;
                bits -= 13;
            } else {
                value = queue & 16383;
                queue >>= 14;
                bits -= 14;
            }
            push(value % 91);
            push(value / 91);
        }
    }
    if bits > 0 {
        push(queue % 91);
        if bits > 7 || queue > 90 {
            push(queue / 91);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference decoder, as the shim implements it in JavaScript.
    fn decode(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let (mut queue, mut bits, mut pending) = (0u32, 0u32, None::<u32>);
        for c in text.bytes() {
            let digit = ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
            match pending.take() {
                None => pending = Some(digit),
                Some(low) => {
                    let value = low + digit * 91;
                    queue |= value << bits;
                    bits += if value & 8191 > 88 { 13 } else { 14 };
                    while bits > 7 {
                        out.push(queue as u8);
                        queue >>= 8;
                        bits -= 8;
                    }
                }
            }
        }
        if let Some(low) = pending {
            out.push((queue | low << bits) as u8);
        }
        out
    }

    #[test]
    fn round_trips_every_length_and_byte() {
        let data: Vec<u8> = (0..2000u32).map(|i| (i * 7919 % 251) as u8).collect();
        for len in (0..64).chain([255, 256, 1999, 2000]) {
            assert_eq!(decode(&encode(&data[..len])), &data[..len], "length {len}");
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&all)), all);
    }

    #[test]
    fn is_denser_than_base64_and_safe_in_single_quotes() {
        let data: Vec<u8> = (0..30_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let text = encode(&data);
        assert!(
            text.len() * 100 / data.len() <= 124,
            "{} for {}",
            text.len(),
            data.len()
        );
        assert!(!text.contains('\'') && !text.contains('\\'));
    }

    #[test]
    fn matches_the_reference_implementation() {
        // The example in Henke's basE91 documentation.
        assert_eq!(encode(b""), "");
        assert_eq!(encode(b"test"), "fPNKd");
    }
}
