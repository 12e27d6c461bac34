//! What one run of an Action amounts to, as the shim receives it.

use serde_json::{Map, Value};

use crate::api::Command;
use crate::json;
use crate::secrets::Secrets;
use crate::Error;

/// Secret values shorter than this are not scrubbed from messages: they would match ordinary
/// words. Auth0 secrets worth the name are far longer.
const MIN_SCRUBBED_SECRET_LEN: usize = 6;

/// Either the commands to apply, in order, or why the Action failed (and then no command at
/// all: a failed Action's effects are not half-applied); and the log lines, either way.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub commands: Vec<Command>,
    pub failure: Option<String>,
    pub logs: Vec<String>,
}

impl Outcome {
    pub fn new(
        result: Result<(), &Error>,
        commands: Vec<Command>,
        logs: Vec<String>,
        secrets: &Secrets,
    ) -> Self {
        let logs = logs.into_iter().map(|line| scrub(line, secrets)).collect();
        match result {
            Ok(()) => Outcome {
                commands,
                failure: None,
                logs,
            },
            Err(err) => Outcome {
                commands: Vec::new(),
                failure: Some(scrub(err.reason(), secrets)),
                logs,
            },
        }
    }
}

impl Outcome {
    /// The outcome as a value: `{"commands": [{"api", "args"}], "failure": …, "logs": […]}`,
    /// each command as [`Command::to_call`] writes it (the emulator's shape, not the shim's).
    pub fn to_value(&self) -> Value {
        let commands = self.commands.iter().map(Command::to_call).collect();
        let mut outcome = Map::new();
        outcome.insert("commands".into(), Value::Array(commands));
        outcome.insert(
            "failure".into(),
            self.failure.clone().map_or(Value::Null, Value::String),
        );
        let logs = self.logs.iter().cloned().map(Value::String).collect();
        outcome.insert("logs".into(), Value::Array(logs));
        Value::Object(outcome)
    }

    /// What the wasm hands the shim, as JSON text: `[failure or null, [log…], command…]`, each
    /// command `[api, same or null, arg…]`. A value that came as [`RawJson`](crate::RawJson) is
    /// sent once, as it came, with the first command that sets it: a later command setting the
    /// same text sends `same`, that command's index, and takes its last argument. An array,
    /// written directly: the shim parses arrays faster than objects, and building a map first
    /// would put a sorted map's code into Actions that never use one.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.json_len_estimate());
        out.push('[');
        match &self.failure {
            Some(failure) => json::write_string(&mut out, failure),
            None => out.push_str("null"),
        }
        out.push_str(",[");
        for (index, line) in self.logs.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            json::write_string(&mut out, line);
        }
        out.push(']');
        for (index, command) in self.commands.iter().enumerate() {
            let same = command.raw_text().and_then(|text| {
                let mut earlier = self.commands.iter().take(index);
                earlier.position(|other| other.raw_text() == Some(text))
            });
            out.push(',');
            command.write_json(&mut out, same);
        }
        out.push(']');
        out
    }

    /// About how long [`Outcome::to_json`]'s text is, so it is written without growing: a
    /// value that came as text is most of it.
    fn json_len_estimate(&self) -> usize {
        let mut len = 64;
        for text in &self.logs {
            len += text.len() + 8;
        }
        for command in &self.commands {
            len += command.api.len() + command.raw_text().map_or(64, str::len) + 48;
        }
        len + self.failure.as_ref().map_or(0, String::len)
    }
}

/// Last line of defence: an error message an Action built by hand (`Error::action`) could still
/// quote a secret.
fn scrub(message: String, secrets: &Secrets) -> String {
    secrets
        .values()
        .filter(|value| value.len() >= MIN_SCRUBBED_SECRET_LEN)
        .fold(message, |message, value| {
            replace_all(message, value, "[redacted]")
        })
}

/// A plain scan instead of `str::replace`: its two-way searcher is 2 kB of wasm, and messages
/// are short.
fn replace_all(text: String, needle: &str, with: &str) -> String {
    let (haystack, needle_bytes) = (text.as_bytes(), needle.as_bytes());
    let mut out = String::new();
    let (mut copied, mut at) = (0, 0);
    // `get` rather than indexing (a match starts and ends on character boundaries): a str
    // index that could panic links `Debug for char` and its Unicode tables into the wasm.
    while let Some(rest) = haystack
        .get(at..)
        .filter(|rest| rest.len() >= needle_bytes.len())
    {
        if rest.starts_with(needle_bytes) {
            out.push_str(text.get(copied..at).unwrap_or_default());
            out.push_str(with);
            at += needle_bytes.len();
            copied = at;
        } else {
            at += 1;
        }
    }
    if copied == 0 {
        return text;
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_text_is_the_value_printed() {
        let secrets = Secrets::default();
        let commands = vec![
            Command::new(
                "accessToken.setCustomClaim",
                vec![
                    "https://x/\"q\"".into(),
                    serde_json::json!({"a": [1, null]}),
                ],
            ),
            Command::new("access.deny", vec!["no\nway".into()]),
        ];
        let logs = vec!["line \u{1}".to_owned()];
        for outcome in [
            Outcome::new(Ok(()), commands.clone(), logs.clone(), &secrets),
            Outcome::new(Err(&Error::action("bad")), commands, logs, &secrets),
            Outcome::new(Ok(()), Vec::new(), Vec::new(), &secrets),
        ] {
            let text = outcome.to_json();
            let failure = outcome.failure.clone().map_or(Value::Null, Value::String);
            let logs = outcome.logs.iter().cloned().map(Value::String).collect();
            let mut expected = vec![failure, Value::Array(logs)];
            for command in &outcome.commands {
                let mut call = vec![command.api.into(), Value::Null];
                call.extend(command.args.iter().cloned());
                expected.push(Value::Array(call));
            }
            assert_eq!(json::parse(&text), Some(Value::Array(expected)), "{text}");
        }
    }

    #[test]
    fn failures_drop_commands_and_scrub_secrets() {
        let secrets: Secrets = [("client_secret", "CS-1234567")].into_iter().collect();
        let err = Error::action("bad CS-1234567 here");
        let commands = vec![Command::new("access.deny", vec!["x".into()])];
        let logs = vec!["saw CS-1234567".to_owned()];
        let outcome = Outcome::new(Err(&err), commands.clone(), logs.clone(), &secrets);
        assert_eq!(outcome.commands, []);
        assert_eq!(outcome.failure.as_deref(), Some("bad [redacted] here"));
        assert_eq!(outcome.logs, ["saw [redacted]"]);
        let outcome = Outcome::new(Ok(()), commands.clone(), logs, &secrets);
        assert_eq!(outcome.commands, commands);
    }
}
