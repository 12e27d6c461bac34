//! The post-login `api`, as an ordered list of commands.
//!
//! An Action never touches Auth0's `api` object directly: it records what it wants done, and the
//! shim applies the commands in order once the Action has succeeded (or applies the failure policy
//! instead). That keeps the Action a pure function of the event and its capabilities' answers,
//! testable natively, and all-or-nothing: a failing Action leaves no half-applied claims.

use std::fmt;
use std::rc::Rc;

use serde_json::Value;

use crate::claims::{self, Token};
use crate::event::Event;
use crate::host::Host;
use crate::http::Http;
use crate::policy::Policy;
use crate::Error;

/// One call to make on Auth0's `api`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Command {
    SetAccessTokenClaim(String, Value),
    SetIdTokenClaim(String, Value),
    Deny(String),
}

impl Command {
    /// `{"op": "accessToken.setCustomClaim", "args": [name, value]}`: the method path on Auth0's
    /// `api` and its arguments, which is all the shim needs to apply a command.
    pub fn to_call(&self) -> Value {
        let (op, args) = match self {
            Command::SetAccessTokenClaim(name, value) => (
                "accessToken.setCustomClaim",
                vec![name.as_str().into(), value.clone()],
            ),
            Command::SetIdTokenClaim(name, value) => (
                "idToken.setCustomClaim",
                vec![name.as_str().into(), value.clone()],
            ),
            Command::Deny(reason) => ("access.deny", vec![reason.as_str().into()]),
        };
        let mut call = serde_json::Map::new();
        call.insert("op".into(), op.into());
        call.insert("args".into(), Value::Array(args));
        Value::Object(call)
    }
}

/// What an Action can do and use during one login.
pub struct Api {
    commands: Vec<Command>,
    logs: Vec<String>,
    http: Http,
    host: Rc<dyn Host>,
    /// The requested audience, for Auth0's rules on access-token claims.
    audience: Option<String>,
    /// Bytes of each custom claim (name + JSON value): (access token?, name, bytes). A few
    /// entries at most: a Vec, where a map would add kilobytes of wasm.
    claim_sizes: Vec<(bool, String, usize)>,
}

impl Api {
    pub(crate) fn new(host: Rc<dyn Host>, policy: Rc<Policy>, event: &Event) -> Self {
        Api {
            commands: Vec::new(),
            logs: Vec::new(),
            http: Http::new(host.clone(), policy),
            host,
            audience: event
                .resource_server
                .as_ref()
                .and_then(|server| server.identifier.clone()),
            claim_sizes: Vec::new(),
        }
    }

    /// Outgoing HTTP (the runtime's `fetch` in WebAssembly, scripted routes in tests).
    pub fn http(&self) -> &Http {
        &self.http
    }

    pub(crate) fn host(&self) -> &dyn Host {
        &*self.host
    }

    /// `api.accessToken`
    pub fn access_token(&mut self) -> TokenApi<'_> {
        TokenApi {
            api: self,
            token: Token::Access,
        }
    }

    /// `api.idToken`
    pub fn id_token(&mut self) -> TokenApi<'_> {
        TokenApi {
            api: self,
            token: Token::Id,
        }
    }

    /// `api.access`
    pub fn access(&mut self) -> AccessApi<'_> {
        AccessApi {
            commands: &mut self.commands,
        }
    }

    /// A line for the Action's execution log (`console.log`), printed whether or not the
    /// Action succeeds. Auth0 keeps only 256 characters of logs per Action: be brief, and never
    /// log a secret or a token.
    pub fn log(&mut self, line: impl Into<String>) {
        self.logs.push(line.into());
    }

    /// The commands recorded so far, in order.
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
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api")
            .field("commands", &self.commands)
            .field("logs", &self.logs)
            .finish_non_exhaustive()
    }
}

pub struct TokenApi<'a> {
    api: &'a mut Api,
    token: Token,
}

impl TokenApi<'_> {
    /// `setCustomClaim(name, value)`: any JSON value (`json!(…)`, a `Value`, a string, a
    /// number…). For a typed struct, `serde_json::to_value(&it)?` first: taking `impl Serialize`
    /// here would put serde's value serializer into every Action's wasm, used or not.
    ///
    /// A claim Auth0 would drop silently (a reserved name, an Auth0 namespace, a bare name on
    /// an access token for Auth0's own APIs), `scope`, or one that takes the token's custom
    /// claims over 100 KB is an error, not a claim that vanishes in production.
    pub fn set_custom_claim(self, name: &str, value: impl Into<Value>) -> Result<(), Error> {
        let value = value.into();
        claims::check_name(name, self.token, self.api.audience.as_deref())?;
        let is_access = self.token == Token::Access;
        let size = name.len() + crate::json::to_string(&value).len();
        let sizes = &mut self.api.claim_sizes;
        sizes.retain(|(access, claim, _)| !(*access == is_access && claim == name));
        let others: usize = sizes
            .iter()
            .filter(|(access, _, _)| *access == is_access)
            .map(|(_, _, bytes)| bytes)
            .sum();
        claims::check_budget(others + size, self.token)?;
        sizes.push((is_access, name.to_owned(), size));
        let name = name.to_owned();
        self.api.commands.push(match self.token {
            Token::Access => Command::SetAccessTokenClaim(name, value),
            Token::Id => Command::SetIdTokenClaim(name, value),
        });
        Ok(())
    }
}

pub struct AccessApi<'a> {
    commands: &'a mut Vec<Command>,
}

impl AccessApi<'_> {
    /// `deny(reason)`: the login ends as `access_denied` with this reason after this Action.
    /// The reason reaches the application: keep secrets and internals out of it.
    pub fn deny(self, reason: impl Into<String>) {
        self.commands.push(Command::Deny(reason.into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Harness;
    use serde_json::json;

    #[test]
    fn claims_are_checked_when_set_and_counted_per_token() {
        let run = Harness::new().run(
            json!({"user": {"user_id": "u"}}),
            async |_, api: &mut Api| {
                let big = "x".repeat(60_000);
                api.access_token()
                    .set_custom_claim("https://e.com/a", big.as_str())?;
                // Setting the same claim again replaces it: still one 60 kB claim.
                api.access_token()
                    .set_custom_claim("https://e.com/a", big.as_str())?;
                // Each token has its own budget.
                api.id_token()
                    .set_custom_claim("https://e.com/b", big.as_str())?;
                api.access_token().set_custom_claim("https://e.com/c", big)
            },
        );
        assert_eq!(
            run.failure().as_deref(),
            Some(
                "custom claims on the access token would be 120034 bytes, over Auth0's limit of \
                 100000: the login would fail"
            )
        );
        assert_eq!(run.commands.len(), 3);

        let run = Harness::new().run(
            json!({"user": {"user_id": "u"}, "resource_server": {"identifier": "https://t.auth0.com/api/v2/"}}),
            async |_, api: &mut Api| api.access_token().set_custom_claim("plan", "pro"),
        );
        assert_eq!(
            run.failure().as_deref(),
            Some(
                "claim `plan` needs a namespace on access tokens for Auth0's own APIs; Auth0 \
                 would drop it"
            )
        );
    }

    #[test]
    fn commands_become_the_calls_the_shim_applies() {
        let commands = [
            Command::SetAccessTokenClaim("https://x/c".into(), json!({"a": [1]})),
            Command::SetIdTokenClaim("https://x/c".into(), json!(null)),
            Command::Deny("no".into()),
        ];
        assert_eq!(
            Value::Array(commands.iter().map(Command::to_call).collect()),
            json!([
                {"op": "accessToken.setCustomClaim", "args": ["https://x/c", {"a": [1]}]},
                {"op": "idToken.setCustomClaim", "args": ["https://x/c", null]},
                {"op": "access.deny", "args": ["no"]},
            ])
        );
    }
}
