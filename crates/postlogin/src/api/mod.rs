//! The post-login `api`, as an ordered list of commands.
//!
//! An Action never touches Auth0's `api` object directly: it records what it wants done, and the
//! shim applies the commands in order once the Action has succeeded (or applies the failure policy
//! instead). That keeps the Action a pure function of the event and its capabilities' answers,
//! testable natively, and all-or-nothing: a failing Action leaves no half-applied claims.
//!
//! One module per area of Auth0's `api` (`api.accessToken`, `api.redirect`, …). A command is a
//! generic call, the method's path on Auth0's `api` and its arguments, rather than a variant of
//! one big enum: the shim applies any whitelisted path the same way, and only the methods an
//! Action calls are compiled into its wasm.

mod access;
mod authentication;
mod multifactor;
mod redirect;
mod token;
mod transaction;
mod user;

use std::fmt;
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::host::HostRef;
use crate::http::Http;
use crate::json;
use crate::policy::Policy;
use crate::raw_json::RawJson;
use crate::Error;

pub use access::AccessApi;
pub use authentication::{AuthenticationApi, Factor, PhoneMethod};
pub use multifactor::MultifactorApi;
pub use redirect::RedirectApi;
pub use token::{AccessTokenApi, IdTokenApi};
pub use transaction::TransactionApi;
pub use user::UserApi;

/// One call to make on Auth0's `api`: `api` is the method's path as Auth0 names it
/// (`accessToken.setCustomClaim`), `args` its arguments.
#[derive(Debug, Clone)]
pub struct Command {
    pub api: &'static str,
    pub args: Vec<Value>,
    /// The last argument, when it was given as [`RawJson`]: the shim gets its text as it came.
    /// `args` then ends with its value natively, for tests to read, and in WebAssembly with
    /// `null`, which is never printed: not building that value is the point.
    raw: Option<RawJson>,
}

/// Equal when they call the same method with the same values, whether given as `RawJson` or
/// not.
impl PartialEq for Command {
    fn eq(&self, other: &Self) -> bool {
        self.api == other.api && self.args == other.args
    }
}

impl Command {
    pub fn new(api: &'static str, args: Vec<Value>) -> Self {
        Command {
            api,
            args,
            raw: None,
        }
    }

    /// The command as the shim reads it: `[api, same or null, arg…]`. When its last argument
    /// came as the same text as command `same`'s (one answer, on both tokens), it is left out
    /// and `same` says whose to take: the shim parses that text once and hands both the same
    /// value, as a JavaScript Action would.
    pub(crate) fn write_json(&self, out: &mut String, same: Option<usize>) {
        out.push('[');
        json::write_string(out, self.api);
        match same {
            Some(same) => {
                out.push(',');
                json::write_integer(out, same as u64);
            }
            None => out.push_str(",null"),
        }
        let sent = self.args.len() - usize::from(same.is_some());
        for (index, arg) in self.args.iter().take(sent).enumerate() {
            out.push(',');
            match &self.raw {
                Some(raw) if index + 1 == self.args.len() => out.push_str(raw.as_str()),
                _ => json::write_value(out, arg),
            }
        }
        out.push(']');
    }

    /// The text its last argument came as, if it came as text.
    pub(crate) fn raw_text(&self) -> Option<&str> {
        self.raw.as_ref().map(RawJson::as_str)
    }

    /// `{"api": "accessToken.setCustomClaim", "args": [name, value]}`: the shape the runtime
    /// emulator records calls in (`result.calls`), to compare a native run with a run of the
    /// built file. The shim reads commands as [`Outcome::to_json`](crate::Outcome::to_json)
    /// writes them.
    pub fn to_call(&self) -> Value {
        let mut call = Map::new();
        call.insert("api".into(), self.api.into());
        call.insert("args".into(), Value::Array(self.args.clone()));
        Value::Object(call)
    }
}

/// What an Action can do and use during one login.
pub struct Api {
    commands: Vec<Command>,
    logs: Vec<String>,
    http: Http,
    host: HostRef,
    /// The requested audience, for Auth0's rules on access-token claims.
    audience: Option<String>,
    /// Bytes of each custom claim (name + JSON value): (access token?, name, bytes). A few
    /// entries at most: a Vec, where a map would add kilobytes of wasm.
    claim_sizes: Vec<(bool, String, usize)>,
}

impl Api {
    /// `audience` is the login's requested audience (`event.resource_server.identifier`).
    pub(crate) fn new(host: HostRef, policy: Rc<Policy>, audience: Option<String>) -> Self {
        Api {
            commands: Vec::new(),
            logs: Vec::new(),
            http: Http::new(host.clone(), policy),
            host,
            audience,
            claim_sizes: Vec::new(),
        }
    }

    /// Outgoing HTTP (the runtime's `fetch` in WebAssembly, scripted routes in tests).
    pub fn http(&self) -> &Http {
        &self.http
    }

    pub(crate) fn host(&self) -> &HostRef {
        &self.host
    }

    /// `api.accessToken`: claims and scopes of the access token.
    pub fn access_token(&mut self) -> AccessTokenApi<'_> {
        AccessTokenApi { api: self }
    }

    /// `api.idToken`: claims of the ID token.
    pub fn id_token(&mut self) -> IdTokenApi<'_> {
        IdTokenApi { api: self }
    }

    /// `api.access`: denying the login.
    pub fn access(&mut self) -> AccessApi<'_> {
        AccessApi { api: self }
    }

    /// `api.user`: app and user metadata.
    pub fn user(&mut self) -> UserApi<'_> {
        UserApi { api: self }
    }

    /// `api.multifactor`: requiring MFA by provider.
    pub fn multifactor(&mut self) -> MultifactorApi<'_> {
        MultifactorApi { api: self }
    }

    /// `api.authentication`: challenging and enrolling specific MFA factors.
    pub fn authentication(&mut self) -> AuthenticationApi<'_> {
        AuthenticationApi { api: self }
    }

    /// `api.transaction`: metadata carried through the rest of this login's flow.
    pub fn transaction(&mut self) -> TransactionApi<'_> {
        TransactionApi { api: self }
    }

    /// `api.redirect`: sending the user elsewhere and back (`onContinuePostLogin`).
    pub fn redirect(&mut self) -> RedirectApi<'_> {
        RedirectApi { api: self }
    }

    /// A line for the Action's execution log (`console.log`), printed whether or not the
    /// Action succeeds. Auth0 keeps only 256 characters of logs per Action: be brief, and never
    /// log a secret or a token.
    pub fn log(&mut self, line: impl Into<String>) {
        self.logs.push(line.into());
    }

    /// The commands recorded so far, in order. In WebAssembly, a value given as
    /// [`RawJson`] reads as `null` here: it is kept as text, for the shim.
    pub fn commands(&self) -> &[Command] {
        &self.commands
    }

    /// The log lines so far, in order.
    pub fn logs(&self) -> &[String] {
        &self.logs
    }

    /// The commands and the log lines.
    pub fn into_parts(self) -> (Vec<Command>, Vec<String>) {
        (self.commands, self.logs)
    }

    fn record(&mut self, api: &'static str, args: Vec<Value>) {
        self.commands.push(Command::new(api, args));
    }

    /// [`Api::record`], with a last argument that may have come as [`RawJson`]: `args` end
    /// with what [`JsonArgument::into_parts`](crate::JsonArgument::into_parts) made of it.
    fn record_sent_as(&mut self, api: &'static str, args: Vec<Value>, raw: Option<RawJson>) {
        self.commands.push(Command { api, args, raw });
    }
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api")
            .field("commands", &self.commands)
            .field("logs", &self.logs)
            .finish_non_exhaustive()
    }
}

/// `Err(InvalidCall)` unless `ok`: every refusal is a fixed text, never the argument itself.
fn check(ok: bool, api: &'static str, reason: &'static str) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidCall { api, reason })
    }
}

/// A JSON object from `(name, value)` members, for option arguments.
fn object(members: Vec<(&str, Value)>) -> Value {
    Value::Object(
        members
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn commands_become_the_calls_the_shim_applies() {
        let commands = [
            Command::new(
                "accessToken.setCustomClaim",
                vec![json!("https://x/c"), json!({"a": [1]})],
            ),
            Command::new("access.deny", vec![json!("no")]),
        ];
        assert_eq!(
            Value::Array(commands.iter().map(Command::to_call).collect()),
            json!([
                {"api": "accessToken.setCustomClaim", "args": ["https://x/c", {"a": [1]}]},
                {"api": "access.deny", "args": ["no"]},
            ])
        );
    }
}
