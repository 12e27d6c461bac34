//! The Auth0 Actions runtime as the host, reached through the shim (`action-shim/template.js`).
//!
//! Synchronous things are imports: Auth0's `api` methods that answer a value (`api.cache.get`,
//! `api.redirect.encodeToken`…) go through one generic import, `host.call`. Waiting (`fetch`,
//! timers) is not: the Action's future hands the request to the shim (`host.fetch`,
//! `host.sleep`) and waits; the shim performs it once the call into the wasm returns and
//! resumes the wasm with the answer (`export.rs`). So the wasm holds no JavaScript objects, and
//! needs no promise machinery of its own.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde_json::{Map, Value};

use super::parked::{Answer, Requests};
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

    /// The shim's `host.part(name)`: the login's `event[name]` (`event[a][b]` for a name
    /// `a.b`) as JSON text; `""` when it is undefined, `"!"` when it cannot be written as JSON
    /// (a cycle, a BigInt).
    #[link_name = "part"]
    fn host_part(name: *const u8, name_len: usize, out: *mut *mut u8) -> usize;

    /// The shim's `host.member(part, key)`: the member `key` of the login's `event[part]`, as
    /// a [`Member`] code; text (a string as it is, any other value as JSON) is written in as
    /// `abi` says, its address stored at `out[0]` and its length at `out[1]`. An empty `key`
    /// asks what the part itself is (a [`PartKind`] code).
    #[link_name = "member"]
    fn host_member(
        part: *const u8,
        part_len: usize,
        key: *const u8,
        key_len: usize,
        out: *mut [usize; 2],
    ) -> u32;

    /// The shim's `host.secrets()`: the login's `event.secrets` as JSON text, as `host.part`
    /// answers a part; or, when they are the same as the ones it last sent this instance,
    /// nothing, and `usize::MAX` instead of a length.
    #[link_name = "secrets"]
    fn host_secrets(out: *mut *mut u8) -> usize;

    /// The shim's `host.headers(request)`: the headers of the login's answer to `request`, a
    /// line `name:value` each.
    #[link_name = "headers"]
    fn host_headers(request: u32, out: *mut *mut u8) -> usize;

    /// The shim's `host.fetch(request, url, method, headers, body, timeout, max)`: parks a
    /// fetch for the login being run, which the shim performs once the call into the wasm
    /// returns with the task waiting (and forgets if it returns finished). `headers` is a JSON
    /// array, `[name, value, …]`; `body_len` is `usize::MAX` for no body.
    #[link_name = "fetch"]
    fn host_fetch(
        request: u32,
        url: *const u8,
        url_len: usize,
        method: *const u8,
        method_len: usize,
        headers: *const u8,
        headers_len: usize,
        body: *const u8,
        body_len: usize,
        timeout_ms: u32,
        max_bytes: u32,
    );

    /// The shim's `host.sleep(request, ms)`: parks a timer, as `host.fetch` parks a fetch.
    #[link_name = "sleep"]
    fn host_sleep(request: u32, ms: u32);
}

fn call_host(api: &str, args: &str) -> String {
    // SAFETY: the shim reads the two texts during the call and answers as `abi` says.
    abi::received(|out| unsafe {
        host_call(api.as_ptr(), api.len(), args.as_ptr(), args.len(), out)
    })
}

/// The part `name` of the event of the login being run, as JSON text (see `host_part`).
/// `'static`: the shim reads a name once per address and then knows it by its address alone.
pub(crate) fn event_part(name: &'static str) -> String {
    // SAFETY: as for `call_host`.
    abi::received(|out| unsafe { host_part(name.as_ptr(), name.len(), out) })
}

/// A member of a part of the event (`host.member`): strings and booleans cross as they are,
/// anything else as JSON text.
pub(crate) enum Member {
    /// Undefined or null.
    Absent,
    Text(String),
    Bool(bool),
    Json(String),
    /// A value that cannot be written as JSON (a BigInt, a cycle).
    NotJson,
}

/// What a part of the event is, before its members are read one by one.
pub(crate) enum PartKind {
    /// Undefined or null.
    Absent,
    Object,
    /// Anything else, read as JSON text to be refused with what it is.
    Other,
}

/// `host.member`'s codes (the shim's `MEMBER_*`).
const ABSENT: u32 = 0;
const TEXT: u32 = 1;
const JSON: u32 = 2;
const TRUE: u32 = 3;
const FALSE: u32 = 4;
const OBJECT: u32 = 5;

/// Asks `host.member`; the text it wrote, if any.
fn ask_member(part: &'static str, key: &'static str) -> (u32, String) {
    let mut text = [0usize; 2];
    // SAFETY: the shim reads the two names during the call, and writes text only where `abi`
    // says, storing its address and length in `text`.
    let code = unsafe {
        host_member(
            part.as_ptr(),
            part.len(),
            key.as_ptr(),
            key.len(),
            &mut text,
        )
    };
    let text = match code {
        // SAFETY: as `abi::received`.
        TEXT | JSON => unsafe { abi::take(text[0] as *mut u8, text[1]) },
        _ => String::new(),
    };
    (code, text)
}

/// The member `key` of the part `part` of the login's event; `'static` as for `event_part`.
pub(crate) fn event_member(part: &'static str, key: &'static str) -> Member {
    match ask_member(part, key) {
        (ABSENT, _) => Member::Absent,
        (TEXT, text) => Member::Text(text),
        (JSON, text) => Member::Json(text),
        (TRUE, _) => Member::Bool(true),
        (FALSE, _) => Member::Bool(false),
        _ => Member::NotJson,
    }
}

/// What the part `part` of the login's event is.
pub(crate) fn event_part_kind(part: &'static str) -> PartKind {
    match ask_member(part, "").0 {
        ABSENT => PartKind::Absent,
        OBJECT => PartKind::Object,
        _ => PartKind::Other,
    }
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
/// The requests the wasm's tasks parked, and the answers the shim delivered for them.
static REQUESTS: Global<RefCell<Requests>> = Global::new(Requests::new());

pub(crate) fn set_now(now_ms: f64) {
    NOW.set(now_ms);
}

pub(crate) fn deliver(id: u32, status: i32, body: String) {
    REQUESTS.with_borrow_mut(|requests| requests.deliver(id, Answer { status, body }));
}

/// A request parked for the shim; ready once the shim has answered it. Dropped unanswered (or
/// answered and not read), it is abandoned: its answer is not kept.
struct Parked {
    id: u32,
}

impl Parked {
    /// Parks a request: `hand_over` gives it to the shim under the id it is passed.
    fn new(hand_over: impl FnOnce(u32)) -> Self {
        let id = REQUESTS.with_borrow_mut(Requests::park);
        hand_over(id);
        Parked { id }
    }
}

impl Future for Parked {
    type Output = Answer;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Answer> {
        match REQUESTS.with_borrow_mut(|requests| requests.take(self.id)) {
            Some(answer) => Poll::Ready(answer),
            None => Poll::Pending,
        }
    }
}

impl Drop for Parked {
    fn drop(&mut self) {
        REQUESTS.with_borrow_mut(|requests| requests.abandon(self.id));
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
        let parked = Parked::new(|id| {
            let mut headers = String::with_capacity(256);
            headers.push('[');
            for (index, (name, value)) in request.headers().iter().enumerate() {
                if index > 0 {
                    headers.push(',');
                }
                json::write_string(&mut headers, name);
                headers.push(',');
                json::write_string(&mut headers, value);
            }
            headers.push(']');
            let (url, method) = (request.url(), request.method().as_str());
            let (body, body_len) = match request.body() {
                Some(body) => (body, body.len()),
                None => ("", usize::MAX),
            };
            // SAFETY: the shim reads the texts during the call.
            unsafe {
                host_fetch(
                    id,
                    url.as_ptr(),
                    url.len(),
                    method.as_ptr(),
                    method.len(),
                    headers.as_ptr(),
                    headers.len(),
                    body.as_ptr(),
                    body_len,
                    timeout_ms,
                    u32::try_from(max_bytes).unwrap_or(u32::MAX),
                );
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
        // SAFETY: numbers only.
        let parked = Parked::new(|id| unsafe { host_sleep(id, ms) });
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
