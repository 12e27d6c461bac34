//! The native test harness: runs an Action's real code under `cargo test`, with scripted HTTP
//! routes instead of `fetch`, and lets tests assert on the recorded commands and requests.
//!
//! ```
//! use postlogin::testing::Harness;
//! use postlogin::{json, Api, Command, Error, Event, Method, Request, Response};
//!
//! async fn action(event: &Event, api: &mut Api) -> Result<(), Error> {
//!     let answer = api.http().send(Request::get("https://api.example/ping")).await?;
//!     api.id_token().set_custom_claim("https://example.com/ping", answer.status())
//! }
//!
//! let run = Harness::new()
//!     .route(Method::Get, "https://api.example/ping", |_| Response::new(204, ""))
//!     .run(json!({"user": {"user_id": "auth0|1"}}), action);
//! assert!(run.result.is_ok());
//! assert_eq!(
//!     run.commands,
//!     [Command::new("idToken.setCustomClaim", vec![json!("https://example.com/ping"), json!(204)])]
//! );
//! assert_eq!(run.requests.len(), 1);
//! ```

mod api_calls;
pub mod jwt;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use serde_json::Value;

use crate::api::{Api, Command};
use crate::event::Event;
use crate::host::{CacheRecord, Host, SendFuture, SleepFuture, TransportFailure};
use crate::http::{Method, Request, Response};
use crate::outcome::Outcome;
use crate::policy::Policy;
use crate::secrets::Secrets;
use crate::Error;

/// Auth0's api.cache limits (AUTH0.md §2).
const CACHE_KEY_BYTES: usize = 64;
const CACHE_VALUE_BYTES: usize = 4096;
const CACHE_ENTRIES: usize = 20;
const CACHE_TOTAL_BYTES: usize = 8192;
/// Where the harness's clock starts: a fixed, plausible "now".
const START_MS: f64 = 1_767_225_600_000.0;

type Reply = Box<dyn Fn(&Request) -> Result<Response, TransportFailure>>;

struct Route {
    method: Method,
    url: String,
    reply: Reply,
}

/// A scripted Actions instance: secrets, HTTP routes, policy, then [`Harness::run`] as many
/// logins as a test needs. Like a warm Auth0 instance, logins on one harness share the module
/// memory and `api.cache`; the clock is fixed, and only moves when the Action sleeps (a retry's
/// wait) or the test calls [`Harness::advance`].
pub struct Harness {
    secrets: Secrets,
    policy: Rc<Policy>,
    host: Rc<ScriptedHost>,
}

impl Default for Harness {
    fn default() -> Self {
        Harness {
            secrets: Secrets::default(),
            policy: Rc::default(),
            host: Rc::new(ScriptedHost {
                routes: Vec::new(),
                requests: RefCell::default(),
                now: Cell::new(START_MS),
                cache: RefCell::default(),
                memory: RefCell::default(),
                cache_writes: Cell::new(true),
                event: RefCell::default(),
            }),
        }
    }
}
impl Harness {
    pub fn new() -> Self {
        Harness::default()
    }

    /// A secret for `event.secrets` (the event's own `secrets`, if any, are replaced).
    pub fn secret(mut self, name: &str, value: &str) -> Self {
        self.secrets.insert(name, value);
        self
    }

    /// Answers requests to exactly `method` + `url` with `reply`. Routes are tried in order.
    ///
    /// # Panics
    /// After the first [`Harness::run`]: routes are set up front.
    pub fn route(
        self,
        method: Method,
        url: &str,
        reply: impl Fn(&Request) -> Response + 'static,
    ) -> Self {
        self.route_result(method, url, move |request| Ok(reply(request)))
    }

    /// Makes requests to `method` + `url` fail as a network error or a timeout would.
    pub fn fail(self, method: Method, url: &str, failure: TransportFailure) -> Self {
        self.route_result(method, url, move |_| Err(failure))
    }

    /// Answers in turn from `replies`, the last one again once they run out (for retries).
    pub fn sequence(self, method: Method, url: &str, replies: Vec<Response>) -> Self {
        let next = Cell::new(0);
        self.route(method, url, move |_| {
            let index = next.get();
            next.set(index + 1);
            replies[index.min(replies.len() - 1)].clone()
        })
    }

    fn route_result(
        mut self,
        method: Method,
        url: &str,
        reply: impl Fn(&Request) -> Result<Response, TransportFailure> + 'static,
    ) -> Self {
        let host = Rc::get_mut(&mut self.host).expect("routes are set before the first run");
        host.routes.push(Route {
            method,
            url: url.to_owned(),
            reply: Box::new(reply),
        });
        self
    }

    /// The policy the Action runs under (default: [`Policy::default`], as without
    /// `[package.metadata.postlogin]`).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = Rc::new(policy);
        self
    }

    /// Makes `api.cache.set` fail from now on, as a full cache would.
    pub fn refuse_cache_writes(self) -> Self {
        self.host.cache_writes.set(false);
        self
    }

    /// Moves the clock forward, as time passing between logins.
    pub fn advance(&self, ms: f64) {
        self.host.now.set(self.host.now.get() + ms);
    }

    /// Forgets the module memory, as a cold Actions instance would; `api.cache` stays.
    pub fn cold_start(&self) {
        self.host.memory.borrow_mut().clear();
    }

    /// What `api.cache` holds now, key by key.
    pub fn cache(&self) -> BTreeMap<String, CacheRecord> {
        self.host.cache.borrow().clone()
    }

    /// Runs `action` on `event` (JSON, as in the Auth0 editor's Test tab) and returns what it did.
    ///
    /// # Panics
    /// When the Action requests a URL no route answers, or awaits something that is not ready
    /// (only scripted routes exist here; there is no event loop).
    pub fn run<F>(&self, mut event: Value, action: F) -> Run
    where
        F: AsyncFnOnce(&Event, &mut Api) -> Result<(), Error>,
    {
        if let Value::Object(fields) = &mut event {
            if !self.secrets.is_empty() {
                fields.insert("secrets".into(), self.secrets.to_json());
            }
        }
        self.host.requests.borrow_mut().clear();
        // Lazily, as in the wasm: a malformed part fails the login only if the Action reads it.
        // As text, through the very code the wasm runs.
        let text = crate::json::to_string(&event);
        let (result, commands, logs) = match Event::from_json_text_lazily(&text) {
            Ok(event) => {
                // What `api.redirect.validateToken` and friends read (the request, the user).
                self.host.event.replace(Some(event.clone()));
                let mut api = Api::new(self.host.clone(), self.policy.clone(), event.audience());
                let result = block_on(action(&event, &mut api));
                let result = result.and_then(|()| event.read_error().map_or(Ok(()), Err));
                let (commands, logs) = api.into_parts();
                (result, commands, logs)
            }
            Err(err) => (Err(err), Vec::new(), Vec::new()),
        };
        Run {
            result,
            commands,
            logs,
            requests: self.host.requests.take(),
            secrets: self.secrets.clone(),
        }
    }
}

/// The event `on_continue_post_login` gets when the user comes back from a redirect to
/// `/continue` with `query` (the `state` Auth0 gave the site, and whatever the site sends back):
/// the login's `event` with its `request` rebuilt, as Auth0 rebuilds it after every redirect.
pub fn continue_event(event: &Value, query: Value) -> Value {
    let mut event = event.clone();
    if let Value::Object(fields) = &mut event {
        let request = fields
            .entry("request")
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if !request.is_object() {
            *request = Value::Object(serde_json::Map::new());
        }
        request["method"] = "GET".into();
        request["query"] = query;
        request["body"] = Value::Object(serde_json::Map::new());
    }
    event
}

/// What one login did.
#[derive(Debug)]
pub struct Run {
    /// What the Action returned; `Err(Error::MalformedEvent)` when the event did not decode.
    pub result: Result<(), Error>,
    /// Every command the Action recorded, in order (also when it then failed).
    pub commands: Vec<Command>,
    /// Every line the Action logged.
    pub logs: Vec<String>,
    /// Every request this login sent, in order (retries included).
    pub requests: Vec<Request>,
    secrets: Secrets,
}

impl Run {
    /// What the shim receives: the commands, or the scrubbed failure message and no commands;
    /// and the scrubbed log lines.
    pub fn outcome(&self) -> Outcome {
        Outcome::new(
            self.result.as_ref().map(|_| ()),
            self.commands.clone(),
            self.logs.clone(),
            &self.secrets,
        )
    }

    /// The arguments of every command to `api` (a path such as `user.setUserMetadata`), in
    /// order.
    pub fn calls<'a>(&'a self, api: &'a str) -> impl Iterator<Item = &'a [Value]> + 'a {
        self.commands
            .iter()
            .filter(move |command| command.api == api)
            .map(|command| command.args.as_slice())
    }

    /// The value set for claim `name` on the access token, if any (the last one set).
    pub fn access_token_claim(&self, name: &str) -> Option<&Value> {
        self.keyed("accessToken.setCustomClaim", name)
    }

    /// The value set for claim `name` on the ID token, if any (the last one set).
    pub fn id_token_claim(&self, name: &str) -> Option<&Value> {
        self.keyed("idToken.setCustomClaim", name)
    }

    /// The value `user_metadata.key` is set to (`Null`: removed), if the Action set it.
    pub fn user_metadata(&self, key: &str) -> Option<&Value> {
        self.keyed("user.setUserMetadata", key)
    }

    /// The value `app_metadata.key` is set to (`Null`: removed), if the Action set it.
    pub fn app_metadata(&self, key: &str) -> Option<&Value> {
        self.keyed("user.setAppMetadata", key)
    }

    /// The reason of the Action's own `api.access.deny`, if it called it (the first one: Auth0
    /// keeps that). A failing Action is [`Run::failure`] instead.
    pub fn denial(&self) -> Option<&str> {
        self.calls("access.deny").next()?.first()?.as_str()
    }

    /// Where `api.redirect.sendUserTo` sends the user: the URL and its query parameters.
    pub fn redirect(&self) -> Option<(&str, Vec<(&str, &str)>)> {
        let args = self.calls("redirect.sendUserTo").last()?;
        let query = args
            .get(1)
            .and_then(|options| options.get("query")?.as_object())
            .map(|query| {
                query
                    .iter()
                    .filter_map(|(name, value)| Some((name.as_str(), value.as_str()?)))
                    .collect()
            })
            .unwrap_or_default();
        Some((args.first()?.as_str()?, query))
    }

    /// The second argument of the last `api` command whose first argument is `key`.
    fn keyed<'a>(&'a self, api: &'a str, key: &str) -> Option<&'a Value> {
        self.calls(api)
            .filter(|args| args.first().and_then(Value::as_str) == Some(key))
            .last()?
            .get(1)
    }

    /// The failure message the login would be denied with (under the default policy).
    pub fn failure(&self) -> Option<String> {
        self.outcome().failure
    }
}

struct ScriptedHost {
    routes: Vec<Route>,
    requests: RefCell<Vec<Request>>,
    now: Cell<f64>,
    cache: RefCell<BTreeMap<String, CacheRecord>>,
    memory: RefCell<BTreeMap<String, CacheRecord>>,
    cache_writes: Cell<bool>,
    /// The login being run, for the `api` calls that answer from it.
    event: RefCell<Option<Event>>,
}

impl Host for ScriptedHost {
    fn send<'a>(
        &'a self,
        request: &'a Request,
        _timeout_ms: u32,
        max_bytes: usize,
    ) -> SendFuture<'a> {
        self.requests.borrow_mut().push(request.clone());
        let route = self
            .routes
            .iter()
            .find(|route| route.method == request.method() && route.url == request.url())
            .unwrap_or_else(|| {
                panic!(
                    "no route for {} {} (add one with Harness::route)",
                    request.method().as_str(),
                    request.url()
                )
            });
        let answer = (route.reply)(request).and_then(|response| {
            if response.text().len() > max_bytes {
                Err(TransportFailure::TooLarge)
            } else {
                Ok(response)
            }
        });
        Box::pin(async move { answer })
    }

    fn now_ms(&self) -> f64 {
        self.now.get()
    }

    fn sleep(&self, ms: u32) -> SleepFuture {
        self.now.set(self.now.get() + f64::from(ms));
        Box::pin(async {})
    }

    fn cache_get(&self, key: &str) -> Option<CacheRecord> {
        let mut cache = self.cache.borrow_mut();
        let now = self.now.get();
        cache.retain(|_, record| record.expires_at > now);
        cache.get(key).cloned()
    }

    /// Auth0's semantics: no throw, an error code instead.
    fn cache_set(&self, key: &str, value: &str, ttl_ms: f64) -> Result<(), String> {
        let mut cache = self.cache.borrow_mut();
        let refuse = |code: &str| Err(code.to_owned());
        if !self.cache_writes.get() {
            return refuse("CacheSizeExceeded");
        }
        if key.len() > CACHE_KEY_BYTES {
            return refuse("CacheKeySizeExceeded");
        }
        if value.len() > CACHE_VALUE_BYTES {
            return refuse("CacheValueSizeExceeded");
        }
        if !(ttl_ms > 0.0 && ttl_ms <= 24.0 * 3600.0 * 1000.0) {
            return refuse("InvalidExpiry");
        }
        let others: usize = cache
            .iter()
            .filter(|(other, _)| other.as_str() != key)
            .map(|(other, record)| other.len() + record.value.len())
            .sum();
        let full = cache.len() >= CACHE_ENTRIES && !cache.contains_key(key);
        if full || others + key.len() + value.len() > CACHE_TOTAL_BYTES {
            return refuse("CacheSizeExceeded");
        }
        let expires_at = self.now.get() + ttl_ms;
        cache.insert(
            key.to_owned(),
            CacheRecord {
                value: value.to_owned(),
                expires_at,
            },
        );
        Ok(())
    }

    fn call(&self, api: &str, args: Vec<Value>) -> Result<Value, String> {
        let event = self.event.borrow();
        let event = event.as_ref().expect("api calls happen during a run");
        api_calls::call(event, self.now.get(), api, args)
    }

    fn remembered(&self, key: &str) -> Option<CacheRecord> {
        self.memory.borrow().get(key).cloned()
    }

    fn remember(&self, key: &str, record: CacheRecord) {
        self.memory.borrow_mut().insert(key.to_owned(), record);
    }
}

/// Polls once: every scripted answer is ready at once, so a pending future means the Action
/// awaits something the harness cannot provide.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!(
            "the Action awaited something that is not ready; the native harness answers only \
             scripted HTTP routes"
        ),
    }
}
