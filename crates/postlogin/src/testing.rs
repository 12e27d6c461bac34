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
//! assert_eq!(run.commands, [Command::SetIdTokenClaim("https://example.com/ping".into(), json!(204))]);
//! assert_eq!(run.requests.len(), 1);
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use serde_json::Value;

use crate::api::{Api, Command};
use crate::event::Event;
use crate::http::{Http, Method, Request, Response, Transport, TransportFailure, TransportFuture};
use crate::outcome::Outcome;
use crate::secrets::Secrets;
use crate::Error;

type Reply = Box<dyn Fn(&Request) -> Result<Response, TransportFailure>>;

struct Route {
    method: Method,
    url: String,
    reply: Reply,
}

/// A scripted login: secrets, HTTP routes, then [`Harness::run`].
#[derive(Default)]
pub struct Harness {
    secrets: Secrets,
    routes: Vec<Route>,
}

/// What one run did.
#[derive(Debug)]
pub struct Run {
    /// What the Action returned; `Err(Error::MalformedEvent)` when the event did not decode.
    pub result: Result<(), Error>,
    /// Every command the Action recorded, in order (also when it then failed).
    pub commands: Vec<Command>,
    /// Every request the Action sent, in order.
    pub requests: Vec<Request>,
    secrets: Secrets,
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

    fn route_result(
        mut self,
        method: Method,
        url: &str,
        reply: impl Fn(&Request) -> Result<Response, TransportFailure> + 'static,
    ) -> Self {
        self.routes.push(Route {
            method,
            url: url.to_owned(),
            reply: Box::new(reply),
        });
        self
    }

    /// Runs `action` on `event` (JSON, as in the Auth0 editor's Test tab) and returns what it did.
    ///
    /// # Panics
    /// When the Action requests a URL no route answers, or awaits something that is not ready
    /// (only scripted routes exist here; there is no event loop).
    pub fn run<F>(self, mut event: Value, action: F) -> Run
    where
        F: AsyncFnOnce(&Event, &mut Api) -> Result<(), Error>,
    {
        let secrets = self.secrets.clone();
        if let Value::Object(fields) = &mut event {
            if !secrets.is_empty() {
                fields.insert("secrets".into(), secrets.to_json());
            }
        }
        let transport = Rc::new(ScriptedTransport {
            routes: self.routes,
            requests: RefCell::default(),
        });
        let mut api = Api::new(Http::new(transport.clone()));
        let result = match Event::from_json(event) {
            Ok(event) => block_on(action(&event, &mut api)),
            Err(err) => Err(err),
        };
        Run {
            result,
            commands: api.into_commands(),
            requests: transport.requests.take(),
            secrets,
        }
    }
}

impl Run {
    /// What the shim receives: the commands, or the scrubbed failure message and no commands.
    pub fn outcome(&self) -> Outcome {
        Outcome::new(
            self.result.as_ref().map(|_| ()),
            self.commands.clone(),
            &self.secrets,
        )
    }

    /// The value set for claim `name` on the access token, if any.
    pub fn access_token_claim(&self, name: &str) -> Option<&Value> {
        self.commands.iter().find_map(|command| match command {
            Command::SetAccessTokenClaim(n, value) if n == name => Some(value),
            _ => None,
        })
    }

    /// The value set for claim `name` on the ID token, if any.
    pub fn id_token_claim(&self, name: &str) -> Option<&Value> {
        self.commands.iter().find_map(|command| match command {
            Command::SetIdTokenClaim(n, value) if n == name => Some(value),
            _ => None,
        })
    }

    /// The failure message the login would be denied with (under the default policy).
    pub fn failure(&self) -> Option<String> {
        self.outcome().failure
    }
}

struct ScriptedTransport {
    routes: Vec<Route>,
    requests: RefCell<Vec<Request>>,
}

impl Transport for ScriptedTransport {
    fn send<'a>(&'a self, request: &'a Request) -> TransportFuture<'a> {
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
        let answer = (route.reply)(request);
        Box::pin(async move { answer })
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
