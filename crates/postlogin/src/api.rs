//! The post-login `api`, as an ordered list of commands.
//!
//! An Action never touches Auth0's `api` object directly: it records what it wants done, and the
//! shim applies the commands in order once the Action has succeeded (or applies the failure policy
//! instead). That keeps the Action a pure function of the event and its capabilities' answers,
//! testable natively, and all-or-nothing: a failing Action leaves no half-applied claims.

use serde_json::Value;

use crate::http::Http;
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
#[derive(Debug)]
pub struct Api {
    commands: Vec<Command>,
    http: Http,
}

impl Api {
    pub fn new(http: Http) -> Self {
        Api {
            commands: Vec::new(),
            http,
        }
    }

    /// Outgoing HTTP (the runtime's `fetch` in WebAssembly, scripted routes in tests).
    pub fn http(&self) -> &Http {
        &self.http
    }

    /// `api.accessToken`
    pub fn access_token(&mut self) -> TokenApi<'_> {
        TokenApi {
            commands: &mut self.commands,
            token: Token::Access,
        }
    }

    /// `api.idToken`
    pub fn id_token(&mut self) -> TokenApi<'_> {
        TokenApi {
            commands: &mut self.commands,
            token: Token::Id,
        }
    }

    /// `api.access`
    pub fn access(&mut self) -> AccessApi<'_> {
        AccessApi {
            commands: &mut self.commands,
        }
    }

    /// The commands recorded so far, in order.
    pub fn commands(&self) -> &[Command] {
        &self.commands
    }

    pub fn into_commands(self) -> Vec<Command> {
        self.commands
    }
}

#[derive(Debug, Clone, Copy)]
enum Token {
    Access,
    Id,
}

pub struct TokenApi<'a> {
    commands: &'a mut Vec<Command>,
    token: Token,
}

impl TokenApi<'_> {
    /// `setCustomClaim(name, value)`: any JSON value (`json!(…)`, a `Value`, a string, a
    /// number…). For a typed struct, `serde_json::to_value(&it)?` first: taking `impl Serialize`
    /// here would put serde's value serializer into every Action's wasm, used or not.
    pub fn set_custom_claim(self, name: &str, value: impl Into<Value>) -> Result<(), Error> {
        let (name, value) = (name.to_owned(), value.into());
        self.commands.push(match self.token {
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
    use serde_json::json;

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
