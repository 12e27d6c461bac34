//! The two float conversions JSON needs. Rust's own (`str::parse::<f64>`, `Display`) carry
//! tables and algorithms worth kilobytes of wasm; the JavaScript engine has both built in, and
//! integers, the common case, never get here.

#[cfg(target_arch = "wasm32")]
mod imp {
    use wasm_bindgen::prelude::wasm_bindgen;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_name = parseFloat)]
        fn parse_float(text: &str) -> f64;
        #[wasm_bindgen(js_name = String)]
        fn number_to_string(number: f64) -> String;
    }

    pub(crate) fn parse(text: &str) -> f64 {
        parse_float(text)
    }

    pub(crate) fn print(number: f64) -> String {
        number_to_string(number)
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
