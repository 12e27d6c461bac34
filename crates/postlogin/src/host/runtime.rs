//! The Auth0 Actions runtime as the host, reached through the shim (`action-shim/template.js`).
//!
//! Synchronous things are imports: Auth0's `api` methods that answer a value (`api.cache.get`,
//! `api.redirect.encodeToken`…) go through one generic import, `host.call`. Waiting (`fetch`,
//! timers) is not an import: the Action's future parks a request in the executor's outbox
//! (`export.rs`), the shim performs it and resumes the wasm with the answer. So the wasm holds
//! no JavaScript objects, and needs no promise machinery of its own.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde_json::{Map, Value};
use wasm_bindgen::prelude::wasm_bindgen;

use super::{CacheRecord, TransportFailure};
use crate::http::{Request, Response};
use crate::json;

#[wasm_bindgen]
extern "C" {
    /// The shim's `host.call(path, argsJson)`: calls Auth0's `api` for the login being run,
    /// answers `{"v": result}` or `{"e": message}`.
    #[wasm_bindgen(js_namespace = host, js_name = call)]
    fn host_call(api: &str, args: &str) -> String;
}

/// State of the wasm instance. The wasm runs one thread (wasm32-unknown-unknown without the
/// atomics feature), so a plain static does: `thread_local!` would add an error path for access
/// during thread teardown, and with it `Debug` formatting that every Action would carry.
pub(crate) struct Global<T>(T);

// SAFETY: one thread, and the values are only reached through the methods below.
unsafe impl<T> Sync for Global<T> {}

impl<T> Global<RefCell<T>> {
    pub(crate) const fn new(value: T) -> Self {
        Global(RefCell::new(value))
    }

    pub(crate) fn with_borrow<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.0.borrow())
    }

    pub(crate) fn with_borrow_mut<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.0.borrow_mut())
    }

    pub(crate) fn take(&self) -> T
    where
        T: Default,
    {
        self.0.take()
    }
}

impl<T: Copy> Global<Cell<T>> {
    pub(crate) const fn cell(value: T) -> Self {
        Global(Cell::new(value))
    }

    pub(crate) fn get(&self) -> T {
        self.0.get()
    }

    pub(crate) fn set(&self, value: T) {
        self.0.set(value);
    }
}

/// Module scope of the wasm instance: survives between logins on a warm Actions instance.
/// A handful of entries: a Vec, where a map would add kilobytes of wasm.
static MEMORY: Global<RefCell<Vec<(String, CacheRecord)>>> = Global::new(Vec::new());
/// `Date.now()` as of the shim's latest call into the wasm: time cannot pass while the wasm
/// runs, only between calls.
static NOW: Global<Cell<f64>> = Global::cell(0.0);
/// Requests parked during the current poll, for the shim: `(id, description)`.
static OUTBOX: Global<RefCell<Vec<(u32, Value)>>> = Global::new(Vec::new());
/// Answers the shim delivered and no future has taken yet.
static ANSWERS: Global<RefCell<Vec<(u32, Answer)>>> = Global::new(Vec::new());
static NEXT_REQUEST: Global<Cell<u32>> = Global::cell(0);

pub(crate) fn set_now(now_ms: f64) {
    NOW.set(now_ms);
}

/// The requests parked since the last call, in order.
pub(crate) fn take_outbox() -> Vec<(u32, Value)> {
    OUTBOX.take()
}

/// What the shim answered to a parked request: its metadata as JSON text (parsed by whoever
/// parked the request: a timer's needs no parser) and, for `fetch`, the body.
pub(crate) struct Answer {
    meta: String,
    body: String,
}

pub(crate) fn deliver(id: u32, meta: String, body: String) {
    ANSWERS.with_borrow_mut(|answers| answers.push((id, Answer { meta, body })));
}

/// A request parked for the shim; ready once the shim has answered it.
struct Parked {
    id: u32,
}

impl Parked {
    fn new(description: Value) -> Self {
        let id = NEXT_REQUEST.get();
        NEXT_REQUEST.set(id.wrapping_add(1));
        OUTBOX.with_borrow_mut(|outbox| outbox.push((id, description)));
        Parked { id }
    }
}

impl Future for Parked {
    type Output = Answer;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Answer> {
        let id = self.id;
        ANSWERS.with_borrow_mut(|answers| {
            match answers.iter().position(|(answered, _)| *answered == id) {
                Some(index) => Poll::Ready(answers.swap_remove(index).1),
                None => Poll::Pending,
            }
        })
    }
}

fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    let mut map = Map::new();
    for (name, value) in members {
        map.insert(name.into(), value);
    }
    Value::Object(map)
}

#[derive(Clone)]
pub(crate) struct RuntimeHost;

// The same methods as `Host`'s, but inherent and with concrete futures: capabilities call them
// directly (`HostRef`), and a boxed `dyn Future` would be polled through the function table,
// where its signature matches `core::fmt`'s and keeps all of formatting alive (see the CLI's
// table pruning).
impl RuntimeHost {
    pub(crate) fn send<'a>(
        &'a self,
        request: &'a Request,
        timeout_ms: u32,
        max_bytes: usize,
    ) -> impl Future<Output = Result<Response, TransportFailure>> + 'a {
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| Value::Array(vec![name.as_str().into(), value.as_str().into()]))
            .collect();
        let parked = Parked::new(object([
            ("k", "fetch".into()),
            ("url", request.url().into()),
            ("method", request.method().as_str().into()),
            ("headers", Value::Array(headers)),
            ("body", request.body().map_or(Value::Null, Value::from)),
            ("timeout", timeout_ms.into()),
            ("max", max_bytes.into()),
        ]));
        async move {
            let Answer { meta, body } = parked.await;
            let meta = json::parse(&meta).unwrap_or(Value::Null);
            // `{"s": status, "h": [[name, value]…]}`, or `{"f": "timeout" | "large" | …}`.
            match meta.get("f").and_then(Value::as_str) {
                Some("timeout") => return Err(TransportFailure::Timeout),
                Some("large") => return Err(TransportFailure::TooLarge),
                Some(_) => return Err(TransportFailure::Network),
                None => {}
            }
            let status = meta.get("s").and_then(Value::as_u64).unwrap_or(0);
            let headers = match meta.get("h") {
                Some(Value::Array(pairs)) => pairs
                    .iter()
                    .filter_map(|pair| {
                        Some((
                            pair.get(0)?.as_str()?.to_owned(),
                            pair.get(1)?.as_str()?.to_owned(),
                        ))
                    })
                    .collect(),
                _ => Vec::new(),
            };
            // The shim refuses a body over `max` before reading it; this is the second check.
            if body.len() > max_bytes {
                return Err(TransportFailure::TooLarge);
            }
            Ok(Response::new(status as u16, body).with_headers(headers))
        }
    }

    pub(crate) fn now_ms(&self) -> f64 {
        NOW.get()
    }

    pub(crate) fn sleep(&self, ms: u32) -> impl Future<Output = ()> {
        let parked = Parked::new(object([("k", "sleep".into()), ("ms", ms.into())]));
        async move {
            parked.await;
        }
    }

    pub(crate) fn cache_get(&self, key: &str) -> Option<CacheRecord> {
        match self.call("cache.get", vec![key.into()]).ok()? {
            // A bare string is what some community harnesses answer.
            Value::String(value) => Some(CacheRecord {
                value,
                expires_at: f64::INFINITY,
            }),
            entry => Some(CacheRecord {
                value: entry.get("value")?.as_str()?.to_owned(),
                expires_at: entry
                    .get("expires_at")
                    .and_then(Value::as_f64)
                    .unwrap_or(f64::INFINITY),
            }),
        }
    }

    pub(crate) fn cache_set(&self, key: &str, value: &str, ttl_ms: f64) -> Result<(), String> {
        let options = object([("ttl", ttl_ms.into())]);
        let written = self
            .call("cache.set", vec![key.into(), value.into(), options])
            .map_err(|_| "Threw".to_owned())?;
        match written.get("type").and_then(Value::as_str) {
            Some("success") => Ok(()),
            _ => Err(written
                .get("code")
                .and_then(Value::as_str)
                .unwrap_or("Unknown")
                .to_owned()),
        }
    }

    pub(crate) fn call(&self, api: &str, args: Vec<Value>) -> Result<Value, String> {
        let answer = json::parse(&host_call(api, &json::to_string(&Value::Array(args))));
        match answer {
            // Taken out in place: `remove` would bring the tree's rebalancing code.
            Some(Value::Object(mut answer)) => match answer.get_mut("v").map(std::mem::take) {
                Some(value) => Ok(value),
                None => Err(answer
                    .get("e")
                    .and_then(|e| e.as_str().map(str::to_owned))
                    .unwrap_or_default()),
            },
            _ => Err(String::new()),
        }
    }

    pub(crate) fn remembered(&self, key: &str) -> Option<CacheRecord> {
        MEMORY.with_borrow(|memory| {
            memory
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, record)| record.clone())
        })
    }

    pub(crate) fn remember(&self, key: &str, record: CacheRecord) {
        MEMORY.with_borrow_mut(|memory| {
            memory.retain(|(k, _)| k != key);
            memory.push((key.to_owned(), record));
        });
    }
}
