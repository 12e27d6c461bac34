//! `postlogin test ARTIFACT --event FILE`: runs a built Action file in Node under the emulator of
//! the Auth0 post-login runtime kept in `action-shim/`, and prints what the Action did.
//!
//! The emulator and its runner are embedded in this binary and written to a content-addressed
//! directory, so the command works from anywhere, not only inside this checkout. The secrets
//! reach Node on stdin: never argv or the environment, which other users can read in `ps`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use crate::secret_args::Secrets;
use crate::{tools, CliError};

/// Every file the runner loads, by its path under `action-shim/`.
const RUNTIME: &[(&str, &str)] = &[
    ("runner.js", include_str!("../../../action-shim/runner.js")),
    (
        "emulator.js",
        include_str!("../../../action-shim/emulator.js"),
    ),
    (
        "lib/cache.js",
        include_str!("../../../action-shim/lib/cache.js"),
    ),
    (
        "lib/claims.js",
        include_str!("../../../action-shim/lib/claims.js"),
    ),
    (
        "lib/fetch-log.js",
        include_str!("../../../action-shim/lib/fetch-log.js"),
    ),
    (
        "lib/jwt.js",
        include_str!("../../../action-shim/lib/jwt.js"),
    ),
    (
        "lib/limits.js",
        include_str!("../../../action-shim/lib/limits.js"),
    ),
    (
        "lib/metadata.js",
        include_str!("../../../action-shim/lib/metadata.js"),
    ),
    (
        "lib/mfa.js",
        include_str!("../../../action-shim/lib/mfa.js"),
    ),
    (
        "lib/output-capture.js",
        include_str!("../../../action-shim/lib/output-capture.js"),
    ),
    (
        "lib/redirect.js",
        include_str!("../../../action-shim/lib/redirect.js"),
    ),
    (
        "lib/report.js",
        include_str!("../../../action-shim/lib/report.js"),
    ),
    (
        "lib/sample-event.js",
        include_str!("../../../action-shim/lib/sample-event.js"),
    ),
    (
        "lib/saml.js",
        include_str!("../../../action-shim/lib/saml.js"),
    ),
];

/// More logins than this in one run is a benchmark, which `scripts/bench.sh` does better.
const MAX_LOGINS: u32 = 1000;

/// Node binaries tried in order when `--node` is not given: the newest runtime Auth0 offers first.
const NODES: &[&str] = &["node22", "node20", "node18", "node"];

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub artifact: PathBuf,
    pub event: PathBuf,
    pub secrets: Secrets,
    pub json: bool,
    pub logins: u32,
    pub node: Option<String>,
}

impl Options {
    /// Secrets are taken in command-line order, so a `--secret` after `--secrets-file` wins.
    pub fn parse(args: &[String]) -> Result<Options, CliError> {
        let mut artifact = None;
        let mut event = None;
        let mut secrets = Secrets::default();
        let mut json = false;
        let mut logins = 1;
        let mut node = None;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |what: &str| {
                args.next()
                    .cloned()
                    .ok_or_else(|| CliError::Usage(format!("{arg} needs {what}")))
            };
            match arg.as_str() {
                "--event" => event = Some(PathBuf::from(value("a JSON file")?)),
                "--secret" => secrets.add_argument(&value("NAME=VALUE")?)?,
                "--secrets-file" => secrets.add_file(Path::new(&value("a file")?))?,
                "--json" => json = true,
                "--logins" => logins = parse_logins(&value("a number")?)?,
                "--node" => node = Some(value("a path or a name such as node18")?),
                flag if flag.starts_with('-') => {
                    return Err(CliError::Usage(format!("unknown option `{flag}` for test")))
                }
                positional if artifact.is_none() => artifact = Some(PathBuf::from(positional)),
                extra => return Err(CliError::Usage(format!("unexpected argument `{extra}`"))),
            }
        }
        Ok(Options {
            artifact: artifact.ok_or_else(|| {
                CliError::Usage("test needs the ARTIFACT to run (a built action.js)".into())
            })?,
            event: event.ok_or_else(|| {
                CliError::Usage("test needs --event FILE.json (the post-login event)".into())
            })?,
            secrets,
            json,
            logins,
            node,
        })
    }
}

fn parse_logins(text: &str) -> Result<u32, CliError> {
    match text.parse::<u32>() {
        Ok(n) if (1..=MAX_LOGINS).contains(&n) => Ok(n),
        _ => Err(CliError::Usage(format!(
            "--logins expects a number from 1 to {MAX_LOGINS}, got `{text}`"
        ))),
    }
}

/// What the runner writes back (see action-shim/runner.js).
#[derive(serde::Deserialize)]
struct RunReport {
    output: String,
    outcomes: Vec<String>,
    warnings: Vec<String>,
}

pub fn run(options: &Options) -> Result<(), CliError> {
    let artifact = check_artifact(&options.artifact)?;
    let event = load_event(&options.event)?;
    let node = find_node(options.node.as_deref())?;
    let runtime = install_runtime()?;
    let scratch = Scratch::new()?;
    let result_path = scratch.0.join("result.json");

    let secrets: serde_json::Map<String, serde_json::Value> = options
        .secrets
        .iter()
        .map(|(name, value)| (name.to_owned(), value.into()))
        .collect();
    let request = serde_json::json!({
        "artifact": artifact,
        "event": event,
        "secrets": secrets,
        "logins": options.logins,
        "json": options.json,
        "resultPath": result_path,
    });

    let mut child = Command::new(&node)
        .arg(runtime.join("runner.js"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| CliError::Tool {
            tool: node.display().to_string(),
            problem: format!("could not start: {err}"),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A runner that died before reading shows up in its exit status below.
        let _ = stdin.write_all(request.to_string().as_bytes());
    }
    let output = child.wait_with_output().map_err(|err| CliError::Tool {
        tool: node.display().to_string(),
        problem: err.to_string(),
    })?;
    let redact = |bytes: &[u8]| options.secrets.redact(&String::from_utf8_lossy(bytes));
    let stray = [redact(&output.stdout), redact(&output.stderr)]
        .join("")
        .trim()
        .to_owned();

    if !output.status.success() {
        return Err(CliError::Input(if stray.is_empty() {
            format!("node ended with {} and no explanation", output.status)
        } else {
            stray
        }));
    }
    let report: RunReport = std::fs::read_to_string(&result_path)
        .map_err(|err| CliError::io(&result_path, err))
        .and_then(|text| {
            serde_json::from_str(&text)
                .map_err(|err| CliError::Input(format!("the runner's report is unreadable: {err}")))
        })?;

    print!("{}", options.secrets.redact(&report.output));
    // Output the Action made outside its handlers (e.g. at load time) is not in the report.
    if !stray.is_empty() {
        eprintln!("output outside the Action's handlers:\n{stray}");
    }
    for warning in &report.warnings {
        eprintln!("warning: {}", options.secrets.redact(warning));
    }
    let failed: Vec<String> = report
        .outcomes
        .iter()
        .enumerate()
        .filter(|(_, outcome)| outcome.as_str() == "error")
        .map(|(index, _)| (index + 1).to_string())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::Input(format!(
            "login {} ended in error (not a deny: the login failed; see the reason above)",
            failed.join(", ")
        )))
    }
}

fn check_artifact(path: &Path) -> Result<PathBuf, CliError> {
    match path.metadata() {
        Ok(meta) if meta.is_file() => path.canonicalize().map_err(|err| CliError::io(path, err)),
        Ok(_) => Err(CliError::Input(format!(
            "{}: not a file; give the built action.js",
            path.display()
        ))),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Err(CliError::Input(format!(
            "{}: no such file; build it first with `postlogin build`",
            path.display()
        ))),
        Err(err) => Err(CliError::io(path, err)),
    }
}

/// The event file: a JSON object. Errors give the file and the line and column of the problem.
fn load_event(path: &Path) -> Result<serde_json::Value, CliError> {
    let text = std::fs::read_to_string(path).map_err(|err| CliError::io(path, err))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|err| {
        CliError::Input(format!(
            "{}:{}:{}: the event is not valid JSON: {}",
            path.display(),
            err.line(),
            err.column(),
            describe_json_error(&err)
        ))
    })?;
    if !value.is_object() {
        return Err(CliError::Input(format!(
            "{}: the event must be a JSON object such as {{\"user\": {{\"email\": \"a@example.com\"}}}}",
            path.display()
        )));
    }
    Ok(value)
}

/// serde_json's message without its trailing " at line L column C" (the prefix says where).
fn describe_json_error(err: &serde_json::Error) -> String {
    let message = err.to_string();
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}

fn find_node(choice: Option<&str>) -> Result<PathBuf, CliError> {
    match choice {
        Some(path) if path.contains('/') => {
            let path = PathBuf::from(path);
            if path.is_file() {
                Ok(path)
            } else {
                Err(CliError::Tool {
                    tool: path.display().to_string(),
                    problem: "no such file (--node takes a path or a name such as node18)".into(),
                })
            }
        }
        Some(name) => tools::find(name),
        None => NODES
            .iter()
            .find_map(|name| tools::find(name).ok())
            .ok_or_else(|| CliError::Tool {
                tool: "node".into(),
                problem: "not found: `postlogin test` needs Node 18 or later; run \
                          scripts/setup.sh (it installs node18, node20 and node22) or pass \
                          --node PATH"
                    .into(),
            }),
    }
}

/// Writes the embedded runner and emulator once per content, under postlogin's tool directory
/// (the system temp dir without a home), and returns the directory holding `runner.js`.
fn install_runtime() -> Result<PathBuf, CliError> {
    let mut hasher = Sha256::new();
    for (name, contents) in RUNTIME {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(contents.as_bytes());
        hasher.update([0]);
    }
    let digest: String = hasher.finalize()[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let root = tools::tools_bin()
        .and_then(|bin| bin.parent().map(Path::to_path_buf))
        .unwrap_or_else(std::env::temp_dir)
        .join("runtime");
    let dir = root.join(&digest);
    if dir.join("runner.js").is_file() {
        return Ok(dir);
    }
    // Written beside, then renamed into place: a concurrent run never sees half the files.
    let staging = root.join(format!("{digest}.{}.partial", std::process::id()));
    for (name, contents) in RUNTIME {
        let file = staging.join(name);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|err| CliError::io(parent, err))?;
        }
        std::fs::write(&file, contents).map_err(|err| CliError::io(&file, err))?;
    }
    if std::fs::rename(&staging, &dir).is_err() {
        // Another run installed the same content first; ours is redundant.
        let _ = std::fs::remove_dir_all(&staging);
        if !dir.join("runner.js").is_file() {
            return Err(CliError::Input(format!(
                "{}: could not install the emulator there",
                dir.display()
            )));
        }
    }
    Ok(dir)
}

/// A private directory for one run's result file, removed when the run ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, CliError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.subsec_nanos())
            .unwrap_or_default();
        let dir =
            std::env::temp_dir().join(format!("postlogin-test-{}-{nanos:08x}", std::process::id()));
        let mut builder = std::fs::DirBuilder::new();
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder
            .create(&dir)
            .map_err(|err| CliError::io(&dir, err))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|arg| arg.to_string()).collect()
    }

    fn usage_error(list: &[&str]) -> String {
        match Options::parse(&args(list)) {
            Err(CliError::Usage(message)) => message,
            other => panic!("expected a usage error for {list:?}, got {other:?}"),
        }
    }

    #[test]
    fn parses_every_option() {
        let options = Options::parse(&args(&[
            "dist/a/action.js",
            "--event",
            "event.json",
            "--secret",
            "client_secret=s3cr=t",
            "--json",
            "--logins",
            "2",
            "--node",
            "node18",
        ]))
        .unwrap();
        assert_eq!(options.artifact, PathBuf::from("dist/a/action.js"));
        assert_eq!(options.event, PathBuf::from("event.json"));
        assert_eq!(options.secrets.get("client_secret"), Some("s3cr=t"));
        assert!(options.json);
        assert_eq!(options.logins, 2);
        assert_eq!(options.node.as_deref(), Some("node18"));
    }

    #[test]
    fn defaults_are_one_human_readable_login() {
        let options = Options::parse(&args(&["--event", "e.json", "a.js"])).unwrap();
        assert_eq!(options.artifact, PathBuf::from("a.js"));
        assert!(!options.json);
        assert_eq!(options.logins, 1);
        assert_eq!(options.node, None);
        assert!(options.secrets.is_empty());
    }

    #[test]
    fn missing_pieces_are_usage_errors() {
        assert!(usage_error(&["--event", "e.json"]).contains("ARTIFACT"));
        assert!(usage_error(&["a.js"]).contains("--event FILE.json"));
        assert!(usage_error(&["a.js", "--event"]).contains("--event needs a JSON file"));
        assert!(usage_error(&["a.js", "--event", "e", "--frobnicate"]).contains("--frobnicate"));
        assert!(usage_error(&["a.js", "b.js", "--event", "e"]).contains("`b.js`"));
    }

    #[test]
    fn logins_must_be_a_sensible_count() {
        for bad in ["0", "-1", "two", "1001"] {
            let message = usage_error(&["a.js", "--event", "e", "--logins", bad]);
            assert!(message.contains("from 1 to 1000"), "{bad}: {message}");
        }
        let options = Options::parse(&args(&["a.js", "--event", "e", "--logins", "1000"]));
        assert_eq!(options.unwrap().logins, 1000);
    }

    #[test]
    fn a_secret_error_never_shows_the_value() {
        let err = Options::parse(&args(&["a.js", "--secret", "bad name=hunter22"])).unwrap_err();
        assert!(!err.to_string().contains("hunter22"), "{err}");
    }

    #[test]
    fn later_secrets_override_earlier_ones_in_command_line_order() {
        let file = std::env::temp_dir().join(format!("postlogin-test-args-{}", std::process::id()));
        std::fs::write(&file, "audience=from-file\nclient_id=file-id\n").unwrap();
        let file_arg = file.display().to_string();
        let options = Options::parse(&args(&[
            "a.js",
            "--event",
            "e",
            "--secret",
            "audience=first",
            "--secrets-file",
            &file_arg,
            "--secret",
            "client_id=last",
        ]));
        std::fs::remove_file(&file).unwrap();
        let options = options.unwrap();
        assert_eq!(options.secrets.get("audience"), Some("from-file"));
        assert_eq!(options.secrets.get("client_id"), Some("last"));
    }

    #[test]
    fn event_errors_name_the_file_line_and_column() {
        let file =
            std::env::temp_dir().join(format!("postlogin-test-event-{}", std::process::id()));
        std::fs::write(&file, "{\n  \"user\": {\"email\": \"a@b.c\",}\n}\n").unwrap();
        let err = load_event(&file).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}:2:", file.display())),
            "the position is line 2: {err}"
        );
        assert!(
            err.contains("the event is not valid JSON: trailing comma"),
            "{err}"
        );

        std::fs::write(&file, "[1, 2]").unwrap();
        let err = load_event(&file).unwrap_err().to_string();
        assert!(err.contains("the event must be a JSON object"), "{err}");

        std::fs::write(&file, "{\"user\": {\"user_id\": \"auth0|1\"}}").unwrap();
        assert_eq!(load_event(&file).unwrap()["user"]["user_id"], "auth0|1");
        std::fs::remove_file(&file).unwrap();

        let err = load_event(Path::new("/nonexistent/event.json"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/nonexistent/event.json: "), "{err}");
    }

    #[test]
    fn a_missing_artifact_says_to_build_it() {
        let err = check_artifact(Path::new("/nonexistent/action.js"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "/nonexistent/action.js: no such file; build it first with `postlogin build`"
        );
        let err = check_artifact(Path::new("/")).unwrap_err().to_string();
        assert!(err.contains("not a file"), "{err}");
    }

    #[test]
    fn an_explicit_node_path_must_exist() {
        let err = find_node(Some("/nonexistent/bin/node"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("/nonexistent/bin/node: no such file"),
            "{err}"
        );
    }

    /// The embedded list must hold every file the runner requires, or `postlogin test` breaks
    /// outside this checkout while every test run inside it still passes.
    #[test]
    fn the_embedded_runtime_holds_every_required_file() {
        let embedded: std::collections::BTreeSet<&str> =
            RUNTIME.iter().map(|(name, _)| *name).collect();
        for (name, contents) in RUNTIME {
            let dir = Path::new(name).parent().unwrap_or(Path::new(""));
            let code = contents.lines().filter(|line| {
                let line = line.trim_start();
                !line.starts_with('*') && !line.starts_with("//")
            });
            for line in code {
                let Some(at) = line.find("require('./") else {
                    continue;
                };
                let rest = &line[at + "require('".len()..];
                let target = &rest[..rest.find('\'').unwrap()];
                let resolved = normalize(&dir.join(target));
                let file = if resolved.ends_with(".js") {
                    resolved
                } else {
                    format!("{resolved}.js")
                };
                assert!(
                    embedded.contains(file.as_str()),
                    "{name} requires {target}, which is not embedded"
                );
            }
        }
    }

    fn normalize(path: &Path) -> String {
        let mut parts: Vec<&str> = Vec::new();
        for part in path.iter().filter_map(|part| part.to_str()) {
            match part {
                "." => {}
                ".." => {
                    parts.pop();
                }
                other => parts.push(other),
            }
        }
        parts.join("/")
    }
}
