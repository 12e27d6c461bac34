//! What one run of an Action amounts to, as the shim receives it.

use serde::Serialize;

use crate::api::Command;
use crate::secrets::Secrets;
use crate::Error;

/// Secret values shorter than this are not scrubbed from messages: they would match ordinary
/// words. Auth0 secrets worth the name are far longer.
const MIN_SCRUBBED_SECRET_LEN: usize = 6;

/// Either the commands to apply, in order, or why the Action failed (and then no command at
/// all: a failed Action's effects are not half-applied).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub commands: Vec<Command>,
    pub failure: Option<String>,
}

impl Outcome {
    pub fn new(result: Result<(), &Error>, commands: Vec<Command>, secrets: &Secrets) -> Self {
        match result {
            Ok(()) => Outcome {
                commands,
                failure: None,
            },
            Err(err) => Outcome {
                commands: Vec::new(),
                failure: Some(scrub(err.to_string(), secrets)),
            },
        }
    }
}

impl Outcome {
    /// The outcome as the shim reads it. Serializing JSON values and strings cannot fail; the
    /// fallback is there so that no path of an Action panics.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"commands":[],"failure":"cannot encode the Action's result"}"#.to_owned()
        })
    }
}

/// Last line of defence: an error message an Action built by hand (`Error::action`) could still
/// quote a secret.
fn scrub(mut message: String, secrets: &Secrets) -> String {
    for value in secrets.values() {
        if value.len() >= MIN_SCRUBBED_SECRET_LEN && message.contains(value) {
            message = message.replace(value, "[redacted]");
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_drop_commands_and_scrub_secrets() {
        let secrets: Secrets = [("client_secret", "CS-1234567")].into_iter().collect();
        let err = Error::action("bad CS-1234567 here");
        let commands = vec![Command::Deny("x".into())];
        let outcome = Outcome::new(Err(&err), commands.clone(), &secrets);
        assert_eq!(outcome.commands, []);
        assert_eq!(outcome.failure.as_deref(), Some("bad [redacted] here"));
        assert_eq!(
            Outcome::new(Ok(()), commands.clone(), &secrets).commands,
            commands
        );
    }
}
