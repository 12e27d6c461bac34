//! What an Action's capabilities need from wherever the Action runs.
//!
//! In WebAssembly that is the Actions runtime, reached through the shim (`host/runtime.rs`:
//! `fetch`, timers, Auth0's `api`, memory that lives as long as the wasm instance); under
//! `cargo test` it is the harness's scripted stand-in (`testing.rs`). Capabilities (`Http`,
//! the token cache) are written once, against this trait.

#[cfg(any(target_arch = "wasm32", test))]
mod parked;
#[cfg(target_arch = "wasm32")]
pub(crate) mod runtime;
#[cfg(target_arch = "wasm32")]
pub(crate) use runtime::RuntimeHost;

#[cfg(not(target_arch = "wasm32"))]
use std::{future::Future, pin::Pin};

#[cfg(not(target_arch = "wasm32"))]
use serde_json::Value;

#[cfg(not(target_arch = "wasm32"))]
use crate::http::{Request, Response};

/// How capabilities hold the host. In the wasm it is the one runtime, called directly: a
/// `dyn Host` there would keep every host function (and `fetch` with it) in every Action, used
/// or not. Natively it is whatever the harness scripted.
#[cfg(target_arch = "wasm32")]
pub(crate) type HostRef = RuntimeHost;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) type HostRef = std::rc::Rc<dyn Host>;

/// Why a request produced no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportFailure {
    Timeout,
    Network,
    /// The answer is larger than the policy's `max_response_bytes`.
    TooLarge,
}

#[cfg(not(target_arch = "wasm32"))]
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<Response, TransportFailure>> + 'a>>;
#[cfg(not(target_arch = "wasm32"))]
pub type SleepFuture = Pin<Box<dyn Future<Output = ()>>>;

/// An entry of Auth0's `api.cache`: `{value, expires_at}` (milliseconds since the epoch).
#[derive(Debug, Clone, PartialEq)]
pub struct CacheRecord {
    pub value: String,
    pub expires_at: f64,
}

/// The harness's stand-in implements it; in the wasm, `RuntimeHost` has the same methods as
/// inherent ones, with concrete futures.
#[cfg(not(target_arch = "wasm32"))]
pub trait Host {
    /// Sends a request and reads its whole answer, within `timeout_ms`; an answer over
    /// `max_bytes` is `TooLarge`, refused before it is read into the Action's memory.
    fn send<'a>(
        &'a self,
        request: &'a Request,
        timeout_ms: u32,
        max_bytes: usize,
    ) -> SendFuture<'a>;
    /// Milliseconds since the epoch.
    fn now_ms(&self) -> f64;
    fn sleep(&self, ms: u32) -> SleepFuture;
    /// `api.cache.get(key)`.
    fn cache_get(&self, key: &str) -> Option<CacheRecord>;
    /// `api.cache.set(key, value, {ttl})`; the error is Auth0's code (`CacheValueSizeExceeded`…).
    fn cache_set(&self, key: &str, value: &str, ttl_ms: f64) -> Result<(), String>;
    /// A synchronous method of Auth0's `api` that answers a value (`redirect.canRedirect`,
    /// `redirect.encodeToken`…), with JSON arguments; `Err` is the message it threw.
    fn call(&self, api: &str, args: Vec<Value>) -> Result<Value, String>;
    /// Memory that outlives one login: module scope of a warm Actions instance.
    fn remembered(&self, key: &str) -> Option<CacheRecord>;
    fn remember(&self, key: &str, record: CacheRecord);
}
