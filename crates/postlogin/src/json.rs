//! JSON text in and out, through the host's `JSON` in WebAssembly and serde_json natively.
//!
//! The JavaScript engine already has the fastest JSON parser and printer there is. Handing JSON
//! to it instead of compiling serde_json's parser, printer and float formatting into every
//! Action keeps that code (and its error machinery) out of the wasm; `serde_json::Value` stays
//! the one JSON type an Action sees, on both targets.

use serde_json::Value;

/// Parses JSON text; `None` when it is not JSON.
pub(crate) fn parse(text: &str) -> Option<Value> {
    imp::parse(text)
}

/// Prints a value as compact JSON text.
pub(crate) fn to_string(value: &Value) -> String {
    imp::to_string(value)
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use serde_json::Value;

    pub(super) fn parse(text: &str) -> Option<Value> {
        serde_json::from_str(text).ok()
    }

    pub(super) fn to_string(value: &Value) -> String {
        value.to_string()
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use js_sys::{Array, Object, Reflect, JSON};
    use serde_json::{Map, Number, Value};
    use wasm_bindgen::{JsCast, JsValue};

    /// `undefined` is the shim's answer for text that is not JSON (its `JSON.parse` does not
    /// throw: a throwing import leaks a slot in wasm-bindgen's externref table).
    pub(super) fn parse(text: &str) -> Option<Value> {
        let value = JSON::parse(text).ok()?;
        (!value.is_undefined()).then(|| from_js(&value))
    }

    pub(super) fn to_string(value: &Value) -> String {
        JSON::stringify(&to_js(value))
            .ok()
            .and_then(|text| text.as_string())
            .unwrap_or_default()
    }

    /// A JavaScript value as JSON would see it: `undefined`, functions and symbols become null.
    pub(crate) fn from_js(value: &JsValue) -> Value {
        if let Some(text) = value.as_string() {
            Value::String(text)
        } else if let Some(number) = value.as_f64() {
            number_value(number)
        } else if let Some(flag) = value.as_bool() {
            Value::Bool(flag)
        } else if let Some(array) = value.dyn_ref::<Array>() {
            Value::Array(array.iter().map(|item| from_js(&item)).collect())
        } else if value.is_object() && !value.is_function() {
            let mut members = Map::new();
            for key in Object::keys::<JsValue>(value.unchecked_ref()).iter() {
                if let Some(name) = key.as_string() {
                    let member = Reflect::get(value, &key).unwrap_or(JsValue::UNDEFINED);
                    members.insert(name, from_js(&member));
                }
            }
            Value::Object(members)
        } else {
            Value::Null
        }
    }

    /// Integers stay integers (JSON has no other kind of number in JavaScript's eyes).
    fn number_value(number: f64) -> Value {
        const SAFE: f64 = 9_007_199_254_740_991.0;
        if number.fract() == 0.0 && number.abs() <= SAFE {
            Value::Number(Number::from(number as i64))
        } else {
            Number::from_f64(number).map_or(Value::Null, Value::Number)
        }
    }

    pub(crate) fn to_js(value: &Value) -> JsValue {
        match value {
            Value::Null => JsValue::NULL,
            Value::Bool(flag) => JsValue::from_bool(*flag),
            Value::Number(number) => JsValue::from_f64(number.as_f64().unwrap_or(f64::NAN)),
            Value::String(text) => JsValue::from_str(text),
            Value::Array(items) => items.iter().map(to_js).collect::<Array>().into(),
            Value::Object(members) => {
                let object = Object::new();
                for (name, member) in members {
                    // Setting a property on a fresh plain object cannot fail.
                    let _ = Reflect::set(&object, &JsValue::from_str(name), &to_js(member));
                }
                object.into()
            }
        }
    }
}

#[cfg(target_arch = "wasm32")]
pub(crate) use imp::{from_js, to_js};
