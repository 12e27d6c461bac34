//! The two float conversions JSON needs. Rust's own (`str::parse::<f64>`, `Display`) carry
//! tables and algorithms worth kilobytes of wasm; the JavaScript engine has both built in, and
//! integers, the common case, never get here.

#[cfg(target_arch = "wasm32")]
mod imp {
    use crate::abi;

    #[link(wasm_import_module = "host")]
    extern "C" {
        /// JavaScript's `parseFloat` of the text.
        #[link_name = "parseFloat"]
        fn parse_float(text: *const u8, len: usize) -> f64;
        /// JavaScript's `String(number)`, as text (see `abi`).
        #[link_name = "String"]
        fn number_to_string(number: f64, out: *mut *mut u8) -> usize;
    }

    pub(crate) fn parse(text: &str) -> f64 {
        // SAFETY: the shim reads the text during the call.
        unsafe { parse_float(text.as_ptr(), text.len()) }
    }

    pub(crate) fn print(number: f64) -> String {
        // SAFETY: the shim answers as `abi` says.
        abi::received(|out| unsafe { number_to_string(number, out) })
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    /// Only ever called with text the JSON grammar accepted, which `f64::from_str` accepts too.
    pub(crate) fn parse(text: &str) -> f64 {
        text.parse().unwrap_or(f64::NAN)
    }

    pub(crate) fn print(number: f64) -> String {
        serde_json::Number::from_f64(number).map_or_else(|| "null".into(), |n| n.to_string())
    }
}

pub(crate) use imp::{parse, print};
