//! The Auth0 Actions runtime as the host: the global `fetch` (through gloo-net), `Date.now`,
//! `setTimeout`, Auth0's `api.cache`, and memory that lives as long as the wasm instance.

use std::cell::RefCell;

use gloo_net::http::{Method as FetchMethod, RequestBuilder};
use js_sys::{Date, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, RequestRedirect};

use super::{CacheRecord, Host, SendFuture, SleepFuture, TransportFailure};
use crate::http::{Method, Request, Response};

#[wasm_bindgen]
extern "C" {
    /// Auth0's `api.cache`.
    pub type ActionCache;
    #[wasm_bindgen(method, catch)]
    fn get(this: &ActionCache, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn set(
        this: &ActionCache,
        key: &str,
        value: &str,
        options: &Object,
    ) -> Result<JsValue, JsValue>;

    /// What `api.cache.get` answers in production (a bare string in some community harnesses).
    pub type CacheEntry;
    #[wasm_bindgen(method, getter)]
    fn value(this: &CacheEntry) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn expires_at(this: &CacheEntry) -> JsValue;

    /// What `api.cache.set` answers: `{type: "success"}` or `{type: "error", code}`.
    pub type CacheWrite;
    #[wasm_bindgen(method, getter, js_name = type)]
    fn kind(this: &CacheWrite) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn code(this: &CacheWrite) -> JsValue;

    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: u32) -> JsValue;
}

thread_local! {
    /// Module scope of the wasm instance: survives between logins on a warm Actions instance.
    /// A handful of entries: a Vec, where a map would add kilobytes of wasm.
    static MEMORY: RefCell<Vec<(String, CacheRecord)>> = const { RefCell::new(Vec::new()) };
}

pub(crate) struct RuntimeHost {
    cache: Option<ActionCache>,
}

impl RuntimeHost {
    /// `cache` is Auth0's `api.cache` (anything else: no cache, and no error).
    pub(crate) fn new(cache: JsValue) -> Self {
        RuntimeHost {
            cache: cache.is_object().then(|| cache.unchecked_into()),
        }
    }
}

impl Host for RuntimeHost {
    fn send<'a>(
        &'a self,
        request: &'a Request,
        timeout_ms: u32,
        max_bytes: usize,
    ) -> SendFuture<'a> {
        Box::pin(send(request, timeout_ms, max_bytes))
    }

    fn now_ms(&self) -> f64 {
        Date::now()
    }

    fn sleep(&self, ms: u32) -> SleepFuture {
        let promise = Promise::new(&mut |resolve, _| {
            set_timeout(&resolve, ms);
        });
        Box::pin(async move {
            let _ = JsFuture::from(promise).await;
        })
    }

    fn cache_get(&self, key: &str) -> Option<CacheRecord> {
        let entry = self.cache.as_ref()?.get(key).ok()?;
        if let Some(value) = entry.as_string() {
            return Some(CacheRecord {
                value,
                expires_at: f64::INFINITY,
            });
        }
        let entry: &CacheEntry = entry.is_object().then(|| entry.unchecked_ref())?;
        Some(CacheRecord {
            value: entry.value().as_string()?,
            expires_at: entry.expires_at().as_f64().unwrap_or(f64::INFINITY),
        })
    }

    fn cache_set(&self, key: &str, value: &str, ttl_ms: f64) -> Result<(), String> {
        let cache = self.cache.as_ref().ok_or("NoCache")?;
        let options = Object::new();
        let _ = Reflect::set(&options, &"ttl".into(), &ttl_ms.into());
        let written = cache
            .set(key, value, &options)
            .map_err(|_| "Threw".to_owned())?;
        let written: &CacheWrite = written.unchecked_ref();
        match written.kind().as_string().as_deref() {
            Some("success") => Ok(()),
            _ => Err(written
                .code()
                .as_string()
                .unwrap_or_else(|| "Unknown".into())),
        }
    }

    fn remembered(&self, key: &str) -> Option<CacheRecord> {
        MEMORY.with(|memory| {
            let memory = memory.borrow();
            memory
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, record)| record.clone())
        })
    }

    fn remember(&self, key: &str, record: CacheRecord) {
        MEMORY.with(|memory| {
            let mut memory = memory.borrow_mut();
            memory.retain(|(k, _)| k != key);
            memory.push((key.to_owned(), record));
        });
    }
}

async fn send(
    request: &Request,
    timeout_ms: u32,
    max_bytes: usize,
) -> Result<Response, TransportFailure> {
    // One signal covers connecting, the headers and reading the body.
    let signal = AbortSignal::timeout_with_u32(timeout_ms);
    let failure = || {
        if signal.aborted() {
            TransportFailure::Timeout
        } else {
            TransportFailure::Network
        }
    };
    let mut builder = RequestBuilder::new(request.url())
        .method(fetch_method(request.method()))
        .abort_signal(Some(&signal))
        // A redirect would carry the bearer token to wherever it points: it is an answer to
        // report, not to follow.
        .redirect(RequestRedirect::Manual);
    for (name, value) in request.headers() {
        builder = builder.header(name, value);
    }
    let fetch_request = match request.body() {
        Some(body) => builder.body(body),
        None => builder.build(),
    }
    .map_err(|_| TransportFailure::Network)?;
    let answer = fetch_request.send().await.map_err(|_| failure())?;
    let status = answer.status();
    let headers: Vec<(String, String)> = answer.headers().entries().collect();
    // Wasm memory never shrinks: an oversized body is refused before it is copied in, by its
    // declared length and then by its actual one.
    let declared = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > max_bytes) {
        return Err(TransportFailure::TooLarge);
    }
    let text = web_sys::Response::from(answer)
        .text()
        .map_err(|_| TransportFailure::Network)?;
    let text: js_sys::JsString = JsFuture::from(text)
        .await
        .map_err(|_| failure())?
        .unchecked_into();
    if text.length() as usize > max_bytes {
        return Err(TransportFailure::TooLarge);
    }
    Ok(Response::new(status, String::from(text)).with_headers(headers))
}

fn fetch_method(method: Method) -> FetchMethod {
    match method {
        Method::Get => FetchMethod::GET,
        Method::Post => FetchMethod::POST,
        Method::Put => FetchMethod::PUT,
        Method::Patch => FetchMethod::PATCH,
        Method::Delete => FetchMethod::DELETE,
    }
}
