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

use super::{CacheRecord, TransportFailure};
use crate::abi;
use crate::http::{Request, Response};
use crate::json;

#[link(wasm_import_module = "host")]
extern "C" {
    /// The shim's `host.call(path, argsJson)`: calls Auth0's `api` for the login being run,
    /// answers `{"v": result}` or `{"e": message}` (as text: see `abi`).
    #[link_name = "call"]
    fn host_call(
        path: *const u8,
        path_len: usize,
        args: *const u8,
        args_len: usize,
        out: *mut *mut u8,
    ) -> usize;

    /// The shim's `host.part(name, members)`: the login's `event[name]` (`event[a][b]` for a
    /// name `a.b`), only its `members` if any (comma-separated), as JSON text; `""` when it is
    /// undefined, `"!"` when it cannot be written as JSON (a cycle, a BigInt).
    #[link_name = "part"]
    fn host_part(
        name: *const u8,
        name_len: usize,
        members: *const u8,
        members_len: usize,
        out: *mut *mut u8,
    ) -> usize;

    /// The shim's `host.secrets()`: the login's `event.secrets` as JSON text, as `host.part`
    /// answers a part; or, when they are the same as the ones it last sent this instance,
    /// nothing, and `usize::MAX` instead of a length.
    #[link_name = "secrets"]
    fn host_secrets(out: *mut *mut u8) -> usize;

    /// The shim's `host.headers(request)`: the headers of the login's answer to `request`, a
    /// line `name:value` each.
    #[link_name = "headers"]
    fn host_headers(request: u32, out: *mut *mut u8) -> usize;
}

fn call_host(api: &str, args: &str) -> String {
    // SAFETY: the shim reads the two texts during the call and answers as `abi` says.
    abi::received(|out| unsafe {
        host_call(api.as_ptr(), api.len(), args.as_ptr(), args.len(), out)
    })
}

/// The part `name` of the event of the login being run, only its `members` if any, as JSON
/// text (see `host_part`). `'static`: the shim reads a name and its members once per address
/// and then knows them by the name's address alone.
pub(crate) fn event_part(name: &'static str, members: &'static str) -> String {
    // SAFETY: as for `call_host`.
    abi::received(|out| unsafe {
        host_part(
            name.as_ptr(),
            name.len(),
            members.as_ptr(),
            members.len(),
            out,
        )
    })
}

/// The login's secrets as JSON text (see `host_secrets`); `None` when they are the same as the
/// ones the shim last sent this instance.
pub(crate) fn event_secrets() -> Option<String> {
    let mut at = std::ptr::null_mut();
    // SAFETY: the shim answers as `abi` says, or `usize::MAX` with nothing written.
    let len = unsafe { host_secrets(&mut at) };
    // SAFETY: as `abi::received`.
    (len != usize::MAX).then(|| unsafe { abi::take(at, len) })
}

/// The headers of the answer to request `request`, as `name:value` lines: they cross only
/// when the Action reads one (`Response::header`).
pub(crate) fn response_headers(request: u32) -> String {
    // SAFETY: as for `call_host`.
    abi::received(|out| unsafe { host_headers(request, out) })
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
/// Requests parked during the current poll, for the shim, as the elements of a JSON array:
/// `,[id, kind, …]` each. One text, kept with its room between polls: it is written without
/// growing once the first login has sized it.
static OUTBOX: Global<RefCell<String>> = Global::new(String::new());
/// Answers the shim delivered and no future has taken yet.
static ANSWERS: Global<RefCell<Vec<(u32, Answer)>>> = Global::new(Vec::new());
static NEXT_REQUEST: Global<Cell<u32>> = Global::cell(0);

pub(crate) fn set_now(now_ms: f64) {
    NOW.set(now_ms);
}

/// Hands `write` the requests parked since the last call, in order (see `OUTBOX`), and
/// forgets them.
pub(crate) fn drain_outbox<R>(write: impl FnOnce(&str) -> R) -> R {
    OUTBOX.with_borrow_mut(|outbox| {
        let written = write(outbox);
        outbox.clear();
        written
    })
}

/// What the shim answered to a parked request: for `fetch`, the status (see `read_status`) and
/// the body; a timer's is `0` and empty.
pub(crate) struct Answer {
    status: i32,
    body: String,
}

pub(crate) fn deliver(id: u32, status: i32, body: String) {
    ANSWERS.with_borrow_mut(|answers| answers.push((id, Answer { status, body })));
}

/// A request parked for the shim; ready once the shim has answered it.
struct Parked {
    id: u32,
}

impl Parked {
    /// Parks a request of `kind`: `members` writes what follows the kind in its description.
    fn new(kind: &str, members: impl FnOnce(&mut String)) -> Self {
        let id = NEXT_REQUEST.get();
        NEXT_REQUEST.set(id.wrapping_add(1));
        OUTBOX.with_borrow_mut(|out| {
            out.push_str(",[");
            json::write_integer(out, id.into());
            out.push_str(",\"");
            out.push_str(kind);
            out.push('"');
            members(out);
            out.push(']');
        });
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

/// The shim's answer to a `fetch`: its HTTP status, or why there is none (the shim's
/// `TIMED_OUT`, `TOO_LARGE`, `NETWORK_FAILED`). The headers stay in the shim until read
/// (`response_headers`).
fn read_status(status: i32) -> Result<u16, TransportFailure> {
    match status {
        -1 => Err(TransportFailure::Timeout),
        -2 => Err(TransportFailure::TooLarge),
        status => u16::try_from(status).map_err(|_| TransportFailure::Network),
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
// directly (`HostRef`). A boxed `dyn Future` would be polled through the function table, and
// binaryen keeps whatever the table holds.
impl RuntimeHost {
    pub(crate) fn send<'a>(
        &'a self,
        request: &'a Request,
        timeout_ms: u32,
        max_bytes: usize,
    ) -> impl Future<Output = Result<Response, TransportFailure>> + 'a {
        // `"fetch", url, method, [name, value, …], body or null, timeout ms, max bytes`
        let parked = Parked::new("fetch", |out| {
            for text in [request.url(), request.method().as_str()] {
                out.push(',');
                json::write_string(out, text);
            }
            out.push_str(",[");
            for (index, (name, value)) in request.headers().iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                json::write_string(out, name);
                out.push(',');
                json::write_string(out, value);
            }
            out.push_str("],");
            match request.body() {
                Some(body) => json::write_string(out, body),
                None => out.push_str("null"),
            }
            for number in [timeout_ms.into(), max_bytes as u64] {
                out.push(',');
                json::write_integer(out, number);
            }
        });
        async move {
            let request = parked.id;
            let Answer { status, body } = parked.await;
            let status = read_status(status)?;
            // The shim refuses a body over `max` before reading it; this is the second check.
            if body.len() > max_bytes {
                return Err(TransportFailure::TooLarge);
            }
            Ok(Response::new(status, body).with_headers_from_host(request))
        }
    }

    pub(crate) fn now_ms(&self) -> f64 {
        NOW.get()
    }

    pub(crate) fn sleep(&self, ms: u32) -> impl Future<Output = ()> {
        // `"sleep", ms`
        let parked = Parked::new("sleep", |out| {
            out.push(',');
            json::write_integer(out, ms.into());
        });
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
        let answer = json::parse(&call_host(api, &json::to_string(&Value::Array(args))));
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
