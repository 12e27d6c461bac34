//! The Action crate as the compiler sees it: name, version, where cargo builds it, and its
//! `[package.metadata.postlogin]` policy.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

use crate::CliError;

/// Auth0 gives the whole post-login flow 20 s, for every bound Action together.
const MAX_BUDGET_MS: u64 = 19_000;

#[derive(Debug)]
pub struct ActionCrate {
    pub name: String,
    pub version: String,
    pub dir: PathBuf,
    pub workspace_root: PathBuf,
    pub target_dir: PathBuf,
    pub policy: Policy,
}

/// What happens when the Action fails, how its requests behave, and what it needs; baked into
/// the artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub on_error: OnError,
    /// The whole-Action time budget the shim enforces.
    pub budget_ms: u64,
    /// Per-request timeout.
    pub request_timeout_ms: u64,
    /// Retries on network errors, 429, 502, 503 and 504.
    pub retries: u64,
    /// Whether plain http:// may reach hosts other than loopback.
    pub allow_insecure_http: bool,
    /// Larger answers are refused.
    pub max_response_bytes: u64,
    /// The secrets the Action reads, for the header and for deploy checks.
    pub secrets: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            on_error: OnError::Deny,
            budget_ms: 10_000,
            request_timeout_ms: 3000,
            retries: 1,
            allow_insecure_http: false,
            max_response_bytes: 64 * 1024,
            secrets: Vec::new(),
        }
    }
}

const KNOWN_KEYS: &str = "on_error, budget_ms, request_timeout_ms, retries, allow_insecure_http, \
                          max_response_bytes, secrets";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Deny the login with a clean reason (what Auth0 does with an uncaught error).
    Deny,
    /// Let the login proceed without the Action's effects, with one redacted log line.
    Continue,
}

impl OnError {
    pub fn as_str(self) -> &'static str {
        match self {
            OnError::Deny => "deny",
            OnError::Continue => "continue",
        }
    }
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    target_directory: PathBuf,
    workspace_root: PathBuf,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
    manifest_path: PathBuf,
    targets: Vec<Target>,
    #[serde(default)]
    metadata: Value,
}

#[derive(Deserialize)]
struct Target {
    kind: Vec<String>,
}

impl ActionCrate {
    /// Reads the crate at `dir` (a directory with a Cargo.toml) through `cargo metadata`.
    pub fn load(dir: &Path) -> Result<ActionCrate, CliError> {
        let manifest = dir.join("Cargo.toml");
        if !manifest.is_file() {
            return Err(CliError::Input(format!(
                "{} has no Cargo.toml: give the directory of an Action crate",
                dir.display()
            )));
        }
        let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--manifest-path",
            ])
            .arg(&manifest)
            .output()
            .map_err(|err| CliError::Tool {
                tool: "cargo".into(),
                problem: err.to_string(),
            })?;
        if !output.status.success() {
            return Err(CliError::Input(format!(
                "cargo cannot read {}:\n{}",
                manifest.display(),
                String::from_utf8_lossy(&output.stderr).trim_end()
            )));
        }
        let metadata: Metadata = serde_json::from_slice(&output.stdout)
            .map_err(|err| CliError::Input(format!("unexpected `cargo metadata` output: {err}")))?;
        let manifest = manifest
            .canonicalize()
            .map_err(|err| CliError::io(&manifest, err))?;
        let package = metadata
            .packages
            .into_iter()
            .find(|package| package.manifest_path == manifest)
            .ok_or_else(|| {
                CliError::Input(format!(
                    "{} is a workspace, not a package",
                    manifest.display()
                ))
            })?;
        if !package
            .targets
            .iter()
            .any(|target| target.kind.iter().any(|kind| kind == "cdylib"))
        {
            return Err(CliError::Input(format!(
                "{}: an Action crate needs `[lib] crate-type = [\"cdylib\", \"rlib\"]` \
                 (cdylib for WebAssembly, rlib for native tests)",
                manifest.display()
            )));
        }
        let policy = Policy::from_metadata(&package.metadata)
            .map_err(|problem| CliError::Input(format!("{}: {problem}", manifest.display())))?;
        Ok(ActionCrate {
            name: package.name,
            version: package.version,
            dir: manifest.parent().map(Path::to_path_buf).unwrap_or_default(),
            workspace_root: metadata.workspace_root,
            target_dir: metadata.target_directory,
            policy,
        })
    }
}

impl Policy {
    /// Parses `[package.metadata.postlogin]`; an unknown key is an error, so a typo is not a
    /// silently ignored setting.
    pub fn from_metadata(metadata: &Value) -> Result<Policy, String> {
        let mut policy = Policy::default();
        let Some(table) = metadata.get("postlogin") else {
            return Ok(policy);
        };
        let table = table
            .as_object()
            .ok_or("[package.metadata.postlogin] must be a table")?;
        for (key, value) in table {
            match key.as_str() {
                "on_error" => {
                    policy.on_error = match value.as_str() {
                        Some("deny") => OnError::Deny,
                        Some("continue") => OnError::Continue,
                        _ => return Err("on_error must be \"deny\" or \"continue\"".into()),
                    }
                }
                "budget_ms" => {
                    policy.budget_ms = value
                        .as_u64()
                        .filter(|ms| (100..=MAX_BUDGET_MS).contains(ms))
                        .ok_or(format!(
                            "budget_ms must be a whole number from 100 to {MAX_BUDGET_MS} \
                             (Auth0 allows 20 s for the whole flow)"
                        ))?
                }
                "request_timeout_ms" => {
                    policy.request_timeout_ms = whole_number(value, key, 100, MAX_BUDGET_MS)?
                }
                "retries" => policy.retries = whole_number(value, key, 0, 3)?,
                "max_response_bytes" => {
                    policy.max_response_bytes = whole_number(value, key, 1, 16 * 1024 * 1024)?
                }
                "allow_insecure_http" => {
                    policy.allow_insecure_http = value
                        .as_bool()
                        .ok_or("allow_insecure_http must be true or false")?
                }
                "secrets" => {
                    policy.secrets = value
                        .as_array()
                        .and_then(|names| {
                            names
                                .iter()
                                .map(|n| n.as_str().map(str::to_owned))
                                .collect()
                        })
                        .ok_or("secrets must be a list of secret names")?
                }
                other => {
                    return Err(format!(
                        "unknown key `{other}` in [package.metadata.postlogin] (known: {})",
                        KNOWN_KEYS.split_whitespace().collect::<Vec<_>>().join(" ")
                    ))
                }
            }
        }
        if policy.request_timeout_ms > policy.budget_ms {
            return Err(format!(
                "request_timeout_ms ({}) cannot exceed budget_ms ({})",
                policy.request_timeout_ms, policy.budget_ms
            ));
        }
        Ok(policy)
    }
}

fn whole_number(value: &Value, key: &str, min: u64, max: u64) -> Result<u64, String> {
    value
        .as_u64()
        .filter(|n| (min..=max).contains(n))
        .ok_or(format!("{key} must be a whole number from {min} to {max}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_apply_without_a_table() {
        let policy = Policy::from_metadata(&Value::Null).unwrap();
        assert_eq!(policy.on_error, OnError::Deny);
        assert_eq!(policy.budget_ms, 10_000);
        assert!(policy.secrets.is_empty());
    }

    #[test]
    fn every_key_is_read() {
        let policy = Policy::from_metadata(&json!({"postlogin": {
            "on_error": "continue", "budget_ms": 5000, "secrets": ["a", "b"]
        }}))
        .unwrap();
        assert_eq!(
            policy,
            Policy {
                on_error: OnError::Continue,
                budget_ms: 5000,
                secrets: vec!["a".into(), "b".into()],
                ..Policy::default()
            }
        );
        let policy = Policy::from_metadata(&json!({"postlogin": {
            "request_timeout_ms": 800, "retries": 0, "allow_insecure_http": true,
            "max_response_bytes": 1000
        }}))
        .unwrap();
        assert_eq!(
            (
                policy.request_timeout_ms,
                policy.retries,
                policy.allow_insecure_http,
                policy.max_response_bytes
            ),
            (800, 0, true, 1000)
        );
    }

    #[test]
    fn bad_values_and_typos_are_errors() {
        let cases = [
            (json!({"on_error": "allow"}), "on_error must be \"deny\" or \"continue\""),
            (json!({"budget_ms": 25000}), "budget_ms must be a whole number from 100 to 19000 (Auth0 allows 20 s for the whole flow)"),
            (json!({"secrets": ["a", 1]}), "secrets must be a list of secret names"),
            (json!({"on_eror": "deny"}), "unknown key `on_eror` in [package.metadata.postlogin] (known: on_error, budget_ms, request_timeout_ms, retries, allow_insecure_http, max_response_bytes, secrets)"),
            (json!({"retries": 5}), "retries must be a whole number from 0 to 3"),
            (json!({"allow_insecure_http": "yes"}), "allow_insecure_http must be true or false"),
            (json!({"budget_ms": 1000, "request_timeout_ms": 2000}), "request_timeout_ms (2000) cannot exceed budget_ms (1000)"),
        ];
        for (table, expected) in cases {
            assert_eq!(
                Policy::from_metadata(&json!({ "postlogin": table })).unwrap_err(),
                expected
            );
        }
    }
}
