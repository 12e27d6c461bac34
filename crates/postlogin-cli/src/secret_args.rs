//! `--secret NAME=VALUE` and `--secrets-file FILE`, shared by the commands that hand secrets to
//! an Action (`test`, `deploy`). Errors name the secret or the line, never the value.

use std::collections::BTreeMap;
use std::path::Path;

use crate::CliError;

/// Secret values by name. `Debug` shows names only, so a stray `{:?}` cannot leak a value.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct Secrets(BTreeMap<String, String>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Secrets {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `text` with every secret value of at least 6 characters replaced by `[secret NAME]`, as
    /// written and as it appears inside a JSON string. Shorter values occur in ordinary text;
    /// replacing them would garble it. The longest value goes first, so no shorter one splits it.
    pub fn redact(&self, text: &str) -> String {
        let mut values: Vec<(&str, &str)> = self
            .iter()
            .filter(|(_, value)| value.chars().count() >= 6)
            .collect();
        values.sort_by_key(|(_, value)| std::cmp::Reverse(value.len()));
        let mut redacted = text.to_owned();
        for (name, value) in values {
            let label = format!("[secret {name}]");
            let escaped = serde_json::to_string(value).unwrap_or_default();
            let escaped = &escaped[1..escaped.len() - 1]; // without the quotes
            for form in [value, escaped] {
                if !form.is_empty() {
                    redacted = redacted.replace(form, &label);
                }
            }
        }
        redacted
    }

    /// `NAME=VALUE` from the command line; a later value for the same name wins, so a
    /// `--secret` after `--secrets-file` overrides the file.
    pub fn add_argument(&mut self, argument: &str) -> Result<(), CliError> {
        // Not echoed: an argument without `=` may well be the value alone.
        let (name, value) = argument.split_once('=').ok_or_else(|| {
            CliError::Usage("--secret expects NAME=VALUE; got an argument without `=`".into())
        })?;
        self.insert(name, value, "--secret")
    }

    /// A secrets file: either a JSON object of strings, or `NAME=VALUE` lines (blank lines and
    /// `#` comments skipped, one pair of surrounding quotes removed), like a `.env` file.
    pub fn add_file(&mut self, path: &Path) -> Result<(), CliError> {
        let text = std::fs::read_to_string(path).map_err(|err| CliError::io(path, err))?;
        let origin = path.display().to_string();
        if text.trim_start().starts_with('{') {
            let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
                .map_err(|err| {
                    CliError::Input(format!(
                        "{origin}: not a JSON object of secrets (line {}, column {})",
                        err.line(),
                        err.column()
                    ))
                })?;
            for (name, value) in object {
                let serde_json::Value::String(value) = value else {
                    return Err(CliError::Input(format!(
                        "{origin}: secret `{name}` must be a string"
                    )));
                };
                self.insert(&name, &value, &origin)?;
            }
            return Ok(());
        }
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, value) = line.split_once('=').ok_or_else(|| {
                CliError::Input(format!(
                    "{origin}:{}: expected NAME=VALUE (or a JSON object for the whole file)",
                    index + 1
                ))
            })?;
            let value = value.trim();
            let value = unquote(value, '"')
                .or_else(|| unquote(value, '\''))
                .unwrap_or(value);
            self.insert(name.trim(), value, &format!("{origin}:{}", index + 1))?;
        }
        Ok(())
    }

    fn insert(&mut self, name: &str, value: &str, origin: &str) -> Result<(), CliError> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
        if !valid {
            return Err(CliError::Input(format!(
                "{origin}: `{name}` is not a secret name (letters, digits, `_`, `-`, `.`)"
            )));
        }
        self.0.insert(name.to_owned(), value.to_owned());
        Ok(())
    }
}

fn unquote(value: &str, quote: char) -> Option<&str> {
    value
        .strip_prefix(quote)
        .and_then(|rest| rest.strip_suffix(quote))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(contents: &str) -> tempfile_path::TempFile {
        tempfile_path::TempFile::new(contents)
    }

    /// A file in the system temp dir, removed on drop (no extra crate for one test helper).
    mod tempfile_path {
        pub struct TempFile(pub std::path::PathBuf);
        impl TempFile {
            pub fn new(contents: &str) -> Self {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static NEXT: AtomicUsize = AtomicUsize::new(0);
                let path = std::env::temp_dir().join(format!(
                    "postlogin-secrets-{}-{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::write(&path, contents).unwrap();
                TempFile(path)
            }
        }
        impl Drop for TempFile {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
    }

    #[test]
    fn arguments_split_at_the_first_equals_sign_and_later_ones_win() {
        let mut secrets = Secrets::default();
        secrets.add_argument("client_secret=a=b").unwrap();
        secrets.add_argument("audience=x").unwrap();
        secrets.add_argument("audience=y").unwrap();
        assert_eq!(secrets.get("client_secret"), Some("a=b"));
        assert_eq!(secrets.get("audience"), Some("y"));
        assert_eq!(
            secrets.names().collect::<Vec<_>>(),
            ["audience", "client_secret"]
        );
    }

    #[test]
    fn a_bad_argument_names_the_problem_without_the_value() {
        let mut secrets = Secrets::default();
        let err = secrets
            .add_argument("hunter2-value")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "--secret expects NAME=VALUE; got an argument without `=`"
        );
        let err = secrets
            .add_argument("bad name=hunter22")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "--secret: `bad name` is not a secret name (letters, digits, `_`, `-`, `.`)"
        );
    }

    #[test]
    fn dotenv_files_skip_comments_and_strip_one_pair_of_quotes() {
        let f = file("# tenant\n\nclient_id = abc\nclient_secret=\"s3cr=t\"\nempty=\nq='x'\n");
        let mut secrets = Secrets::default();
        secrets.add_file(&f.0).unwrap();
        assert_eq!(secrets.get("client_id"), Some("abc"));
        assert_eq!(secrets.get("client_secret"), Some("s3cr=t"));
        assert_eq!(secrets.get("empty"), Some(""));
        assert_eq!(secrets.get("q"), Some("x"));
    }

    #[test]
    fn json_files_are_objects_of_strings() {
        let f = file(r#"{"client_id": "abc", "client_secret": "hunter22"}"#);
        let mut secrets = Secrets::default();
        secrets.add_file(&f.0).unwrap();
        assert_eq!(secrets.get("client_secret"), Some("hunter22"));

        let f = file(r#"{"retries": 3}"#);
        let err = Secrets::default().add_file(&f.0).unwrap_err().to_string();
        assert!(err.ends_with("secret `retries` must be a string"), "{err}");
    }

    #[test]
    fn file_errors_give_the_line_and_never_the_value() {
        let f = file("ok=1\nhunter22\n");
        let err = Secrets::default().add_file(&f.0).unwrap_err().to_string();
        assert!(
            err.ends_with(":2: expected NAME=VALUE (or a JSON object for the whole file)"),
            "{err}"
        );
        assert!(!err.contains("hunter22"), "{err}");
        let missing = Secrets::default()
            .add_file(Path::new("/nonexistent/secrets.env"))
            .unwrap_err()
            .to_string();
        assert!(
            missing.starts_with("/nonexistent/secrets.env: "),
            "{missing}"
        );
    }

    #[test]
    fn redact_replaces_values_of_six_characters_or_more_raw_and_json_escaped() {
        let mut secrets = Secrets::default();
        secrets.add_argument("client_secret=s3\"cr\\et").unwrap();
        secrets
            .add_argument("client_secret_suffix=et-tail")
            .unwrap();
        secrets.add_argument("short=abc12").unwrap();
        let text = r#"raw s3"cr\et, json "s3\"cr\\et", tail et-tail, short abc12"#;
        assert_eq!(
            secrets.redact(text),
            "raw [secret client_secret], json \"[secret client_secret]\", \
             tail [secret client_secret_suffix], short abc12"
        );
    }

    #[test]
    fn debug_shows_names_only() {
        let mut secrets = Secrets::default();
        secrets.add_argument("client_secret=hunter22").unwrap();
        assert_eq!(format!("{secrets:?}"), r#"{"client_secret"}"#);
    }
}
