//! `postlogin deploy`: build, upload to the Auth0 Management API as a post-login Action (created
//! once, updated after), wait for Auth0's build, deploy, and bind it to the post-login trigger
//! behind the Actions already bound there.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::build::progress;
use crate::management::{Action, Binding, Client, Credentials, Trigger};
use crate::manifest::ActionCrate;
use crate::secret_args::Secrets;
use crate::ship::{self, Runtime};
use crate::CliError;

const TRIGGER: &str = "post-login";
const TRIGGER_VERSION: &str = "v3";
/// Auth0's limits on an Action's secrets.
const MAX_SECRETS: usize = 30;
const MAX_SECRET_NAME: usize = 128;
const MAX_SECRET_VALUE: usize = 4096;
/// Polls start fast (an unchanged draft is built at once) and slow down to this.
const LONGEST_POLL: Duration = Duration::from_secs(2);

pub struct Options {
    pub path: PathBuf,
    pub secrets: Secrets,
    pub runtime: Runtime,
    pub bind: bool,
    pub dry_run: bool,
    pub build_timeout: Duration,
    pub artifact: Option<PathBuf>,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Options, CliError> {
        let mut path = None;
        let mut options = Options {
            path: PathBuf::new(),
            secrets: Secrets::default(),
            runtime: Runtime::Node22,
            bind: true,
            dry_run: false,
            build_timeout: Duration::from_secs(300),
            artifact: None,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |what: &str| {
                args.next()
                    .ok_or_else(|| CliError::Usage(format!("{arg} needs {what}")))
            };
            match arg.as_str() {
                "--secret" => options.secrets.add_argument(value("NAME=VALUE")?)?,
                "--secrets-file" => options.secrets.add_file(&PathBuf::from(value("a file")?))?,
                "--runtime" => options.runtime = Runtime::parse(Some(value("node22 or node18")?))?,
                "--no-bind" => options.bind = false,
                "--dry-run" => options.dry_run = true,
                "--build-timeout" => {
                    let seconds = value("a number of seconds")?;
                    options.build_timeout = seconds
                        .parse::<u64>()
                        .ok()
                        .filter(|s| *s > 0)
                        .map(Duration::from_secs)
                        .ok_or_else(|| {
                            CliError::Usage(format!(
                                "--build-timeout needs a whole number of seconds, not `{seconds}`"
                            ))
                        })?
                }
                "--artifact" => options.artifact = Some(PathBuf::from(value("a file")?)),
                flag if flag.starts_with('-') => {
                    return Err(CliError::Usage(format!(
                        "unknown option `{flag}` for deploy"
                    )))
                }
                positional if path.is_none() => path = Some(PathBuf::from(positional)),
                extra => return Err(CliError::Usage(format!("unexpected argument `{extra}`"))),
            }
        }
        options.path = path.unwrap_or_else(|| PathBuf::from("."));
        Ok(options)
    }
}

pub fn run(options: &Options) -> Result<(), CliError> {
    let action = ActionCrate::load(&options.path)?;
    check_secrets(&action, &options.secrets)?;
    // Before the build: a missing variable should not cost a minute of compiling first.
    let credentials = Credentials::from_env()?;
    let code = ship::code(&action, options.artifact.as_deref())?;
    let values = options.secrets.iter().map(|(_, v)| v.to_owned()).collect();
    let client = Client::connect(&credentials, values)?;
    let existing = client.find_action(&action.name)?;
    if let Some(existing) = &existing {
        let supports_post_login = existing.supported_triggers.iter().any(|t| t.id == TRIGGER);
        if !supports_post_login {
            return Err(CliError::Input(format!(
                "the tenant's Action `{}` ({}) is not a post-login Action; rename the crate or \
                 that Action",
                existing.name, existing.id
            )));
        }
    }
    if let Some(existing) = &existing {
        for gone in existing
            .secrets
            .iter()
            .filter(|s| options.secrets.get(&s.name).is_none())
        {
            progress(
                "Warning",
                &format!(
                    "the tenant's {} has secret `{}`, which is not given: the update removes \
                     it (Auth0 replaces the list whole)",
                    existing.name, gone.name
                ),
            );
        }
    }
    let upload = Upload::new(&code, options);
    let change = upload.change(existing.as_ref());
    if options.dry_run {
        let bindings = match options.bind {
            true => Some(client.bindings(TRIGGER)?),
            false => None,
        };
        print!(
            "{}",
            plan(
                &action,
                &client,
                &upload,
                existing.as_ref(),
                &change,
                bindings.as_deref()
            )
        );
        return Ok(());
    }

    let id = match (&existing, &change) {
        (None, _) => {
            progress(
                "Creating",
                &format!(
                    "{} on {} ({})",
                    action.name,
                    client.origin(),
                    upload.summary()
                ),
            );
            client.create_action(&upload.body(&action.name))?.id
        }
        (Some(existing), Change::Update(why)) => {
            progress(
                "Updating",
                &format!(
                    "{} ({}) on {}: {why} ({})",
                    action.name,
                    existing.id,
                    client.origin(),
                    upload.summary()
                ),
            );
            client.update_action(&existing.id, &upload.body(&action.name))?;
            existing.id.clone()
        }
        (Some(existing), Change::None) => {
            progress(
                "Unchanged",
                &format!(
                    "{} ({}) on {}: the draft already has this code, runtime and no secrets",
                    action.name,
                    existing.id,
                    client.origin()
                ),
            );
            existing.id.clone()
        }
    };

    let needs_deploy = !matches!(change, Change::None)
        || existing.as_ref().is_none_or(|a| !a.all_changes_deployed);
    let version = if needs_deploy {
        wait_until_built(&client, &id, &action.name, options.build_timeout)?;
        let version = client.deploy_action(&id)?;
        let number = version.number.map(|n| format!(" as version {n}"));
        progress(
            "Deployed",
            &format!("{}{}", action.name, number.as_deref().unwrap_or("")),
        );
        number
    } else {
        progress("Deployed", &format!("{}: already up to date", action.name));
        None
    };

    // Read now, not before the build (which can take minutes): the PATCH replaces the whole
    // list, so a binding someone changed meanwhile must be in what it keeps.
    let bound = match options.bind {
        false => "not bound (--no-bind)".to_owned(),
        true => bind(&client, &client.bindings(TRIGGER)?, &id, &action.name)?,
    };
    println!(
        "{} is deployed on {} (action {id}{}); {bound}",
        action.name,
        client.origin(),
        version.unwrap_or_default()
    );
    Ok(())
}

/// Refuses, before any request, an Action that would fail at its first login for want of a
/// secret, and secrets Auth0 would refuse. Messages name secrets, never values.
fn check_secrets(action: &ActionCrate, secrets: &Secrets) -> Result<(), CliError> {
    let missing: Vec<&str> = action
        .policy
        .secrets
        .iter()
        .map(String::as_str)
        // The SDK treats a blank secret as a missing one: the Action would fail every login.
        .filter(|name| {
            secrets
                .get(name)
                .is_none_or(|value| value.trim().is_empty())
        })
        .collect();
    if !missing.is_empty() {
        return Err(CliError::Input(format!(
            "{} reads secrets that were given no value (or a blank one): {}. Give each with \
             --secret NAME=VALUE or in --secrets-file FILE",
            action.name,
            missing.join(", ")
        )));
    }
    let count = secrets.names().count();
    if count > MAX_SECRETS {
        return Err(CliError::Input(format!(
            "{count} secrets given; Auth0 allows at most {MAX_SECRETS} per Action"
        )));
    }
    for (name, value) in secrets.iter() {
        if name.len() > MAX_SECRET_NAME {
            return Err(CliError::Input(format!(
                "secret name `{name}` is over Auth0's {MAX_SECRET_NAME} characters"
            )));
        }
        if value.chars().count() > MAX_SECRET_VALUE {
            return Err(CliError::Input(format!(
                "the value of secret `{name}` is over Auth0's {MAX_SECRET_VALUE} characters"
            )));
        }
        if !action.policy.secrets.iter().any(|known| known == name) {
            progress(
                "Warning",
                &format!(
                    "secret `{name}` is not in {}'s [package.metadata.postlogin] secrets; \
                     it is uploaded anyway",
                    action.name
                ),
            );
        }
    }
    Ok(())
}

/// What deploy sends as the Action's draft.
struct Upload<'a> {
    code: &'a str,
    runtime: Runtime,
    secrets: &'a Secrets,
}

/// Whether the draft on the tenant must change, and why.
enum Change {
    None,
    Update(&'static str),
}

impl<'a> Upload<'a> {
    fn new(code: &'a str, options: &'a Options) -> Upload<'a> {
        Upload {
            code,
            runtime: options.runtime,
            secrets: &options.secrets,
        }
    }

    /// Auth0 never returns secret values, so a draft with secrets is always sent again: a
    /// rotated value must not be mistaken for "unchanged".
    fn change(&self, existing: Option<&Action>) -> Change {
        let Some(existing) = existing else {
            return Change::Update("new");
        };
        let trigger = Trigger {
            id: TRIGGER.into(),
            version: TRIGGER_VERSION.into(),
        };
        if existing.code.as_deref() != Some(self.code) {
            Change::Update("the code changed")
        } else if existing.runtime.as_deref() != Some(self.runtime.as_str()) {
            Change::Update("the runtime changed")
        } else if existing.supported_triggers != [trigger] || !existing.dependencies.is_empty() {
            Change::Update("its trigger or dependencies differ")
        } else if existing.status.as_deref() == Some("failed") {
            Change::Update("its last build failed")
        } else if !self.secrets.is_empty() {
            Change::Update("secrets are sent again (Auth0 never shows their values to compare)")
        } else if !existing.secrets.is_empty() {
            Change::Update("the tenant's draft has secrets this deploy removes")
        } else {
            Change::None
        }
    }

    fn body(&self, name: &str) -> serde_json::Value {
        let secrets: Vec<_> = self
            .secrets
            .iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect();
        json!({
            "name": name,
            "supported_triggers": [{"id": TRIGGER, "version": TRIGGER_VERSION}],
            "code": self.code,
            "runtime": self.runtime.as_str(),
            "dependencies": [],
            "secrets": secrets,
        })
    }

    fn summary(&self) -> String {
        format!(
            "{} bytes of code, runtime {}, {} secrets",
            self.code.len(),
            self.runtime.as_str(),
            self.secrets.names().count()
        )
    }
}

/// Polls the draft until Auth0 has built it; `failed` ends the run with the build's errors.
fn wait_until_built(
    client: &Client,
    id: &str,
    name: &str,
    timeout: Duration,
) -> Result<(), CliError> {
    let start = Instant::now();
    let mut delay = Duration::from_millis(250);
    let mut last_status = String::new();
    loop {
        let action = client.action(id)?;
        let status = action.status.unwrap_or_else(|| "unknown".into());
        match status.as_str() {
            "built" => {
                progress(
                    "Built",
                    &format!("{name} on Auth0 in {:.1} s", start.elapsed().as_secs_f32()),
                );
                return Ok(());
            }
            "failed" => {
                let errors: Vec<String> = action
                    .errors
                    .iter()
                    .map(|e| {
                        let msg = e.msg.as_deref().unwrap_or("(no message)");
                        match &e.id {
                            Some(id) => format!("  {id}: {msg}"),
                            None => format!("  {msg}"),
                        }
                    })
                    .collect();
                let errors = if errors.is_empty() {
                    "  (Auth0 gave no error details)".to_owned()
                } else {
                    errors.join("\n")
                };
                return Err(CliError::Build(client.redact(format!(
                    "Auth0 failed to build {name} ({id}); the draft is not deployed. \
                     Auth0 says:\n{errors}"
                ))));
            }
            _ => {}
        }
        if status != last_status {
            progress(
                "Building",
                &format!(
                    "{name} on Auth0: {status} ({:.0} s)",
                    start.elapsed().as_secs_f32()
                ),
            );
            last_status = status;
        }
        let left = timeout.saturating_sub(start.elapsed());
        if left.is_zero() {
            return Err(CliError::Build(format!(
                "Auth0 did not finish building {name} ({id}) within {} s (last status: \
                 {last_status}); nothing was deployed. Run deploy again later, or give \
                 --build-timeout more seconds",
                timeout.as_secs()
            )));
        }
        std::thread::sleep(delay.min(left));
        delay = (delay * 2).min(LONGEST_POLL);
    }
}

/// Appends the Action to the trigger's bindings, keeping every other binding and its order;
/// an Action already bound stays where it is. Returns what happened, for the summary line.
fn bind(client: &Client, bindings: &[Binding], id: &str, name: &str) -> Result<String, CliError> {
    if let Some(position) = bindings.iter().position(|b| b.action.id == id) {
        let place = format!("position {} of {}", position + 1, bindings.len());
        progress("Bound", &format!("{name} already, at {place} of {TRIGGER}"));
        return Ok(format!("bound to {TRIGGER} at {place} (unchanged)"));
    }
    let mut list: Vec<(&str, &str)> = bindings
        .iter()
        .map(|b| {
            let display = b.display_name.as_deref().unwrap_or(b.action.name.as_str());
            (b.action.id.as_str(), display)
        })
        .collect();
    list.push((id, name));
    client.set_bindings(TRIGGER, &list)?;
    let place = format!("position {} of {}", list.len(), list.len());
    progress("Bound", &format!("{name} to {TRIGGER} at {place}"));
    Ok(format!("bound to {TRIGGER} at {place}"))
}

/// The dry run's report: what a real run would change, with secret names only.
fn plan(
    action: &ActionCrate,
    client: &Client,
    upload: &Upload,
    existing: Option<&Action>,
    change: &Change,
    bindings: Option<&[Binding]>,
) -> String {
    let what = match (existing, change) {
        (None, _) => format!("create (the tenant has no Action named {})", action.name),
        (Some(a), Change::Update(why)) => format!("update {} ({why}), then deploy", a.id),
        (Some(a), Change::None) if a.all_changes_deployed => {
            format!("none ({} is up to date and deployed)", a.id)
        }
        (Some(a), Change::None) => format!("deploy {} (its draft is not deployed yet)", a.id),
    };
    let names: Vec<&str> = upload.secrets.names().collect();
    let secrets = if names.is_empty() {
        "none".to_owned()
    } else {
        format!("{} (values not shown)", names.join(", "))
    };
    let binding = match bindings {
        None => "left alone (--no-bind)".to_owned(),
        Some(bindings) => {
            let id = existing.map(|a| a.id.as_str());
            match bindings
                .iter()
                .position(|b| Some(b.action.id.as_str()) == id)
            {
                Some(p) => format!(
                    "already bound at position {} of {}; left in place",
                    p + 1,
                    bindings.len()
                ),
                None if bindings.is_empty() => format!("bind as the only {TRIGGER} Action"),
                None => {
                    let others: Vec<&str> =
                        bindings.iter().map(|b| b.action.name.as_str()).collect();
                    format!(
                        "append at position {} of {TRIGGER}, after {}",
                        bindings.len() + 1,
                        others.join(", ")
                    )
                }
            }
        }
    };
    format!(
        "Deploy plan for {} on {} (dry run: nothing was changed)\n\
         \x20 action:   {what}\n\
         \x20 code:     {} bytes, sha256 {}\n\
         \x20 runtime:  {}\n\
         \x20 trigger:  {TRIGGER} {TRIGGER_VERSION}\n\
         \x20 secrets:  {secrets}\n\
         \x20 binding:  {binding}\n",
        action.name,
        client.origin(),
        upload.code.len(),
        hex_sha256(upload.code),
        upload.runtime.as_str(),
    )
}

fn hex_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Policy;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|a| a.to_string()).collect()
    }

    fn action(secrets: &[&str]) -> ActionCrate {
        ActionCrate {
            name: "demo".into(),
            version: "0.1.0".into(),
            dir: "/x".into(),
            workspace_root: "/x".into(),
            target_dir: "/x/target".into(),
            policy: Policy {
                secrets: secrets.iter().map(|s| s.to_string()).collect(),
                ..Policy::default()
            },
        }
    }

    #[test]
    fn options_parse_with_defaults() {
        let options = Options::parse(&args(&["ex", "--secret", "a=1", "--no-bind"])).unwrap();
        assert_eq!(options.path, PathBuf::from("ex"));
        assert_eq!(options.secrets.get("a"), Some("1"));
        assert_eq!(options.runtime, Runtime::Node22);
        assert!(!options.bind && !options.dry_run);
        assert_eq!(options.build_timeout, Duration::from_secs(300));
        let options = Options::parse(&args(&[
            "--dry-run",
            "--runtime",
            "node18",
            "--build-timeout",
            "5",
            "--artifact",
            "a.js",
        ]))
        .unwrap();
        assert_eq!(options.path, PathBuf::from("."));
        assert!(options.dry_run && options.bind);
        assert_eq!(options.runtime, Runtime::Node18);
        assert_eq!(options.build_timeout, Duration::from_secs(5));
        assert_eq!(options.artifact, Some(PathBuf::from("a.js")));
        for (bad, message) in [
            (
                &["--build-timeout", "0"][..],
                "--build-timeout needs a whole number of seconds, not `0`",
            ),
            (&["--secret"][..], "--secret needs NAME=VALUE"),
            (&["--force"][..], "unknown option `--force` for deploy"),
            (
                &["--runtime", "node20"][..],
                "--runtime must be node22 or node18",
            ),
        ] {
            let err = Options::parse(&args(bad)).err().expect("an error");
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn every_secret_the_action_reads_needs_a_value() {
        let mut secrets = Secrets::default();
        secrets.add_argument("client_id=abc").unwrap();
        let err = check_secrets(
            &action(&["client_id", "client_secret", "audience"]),
            &secrets,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "demo reads secrets that were given no value (or a blank one): client_secret, \
             audience. Give each with --secret NAME=VALUE or in --secrets-file FILE"
        );
        assert!(check_secrets(&action(&["client_id"]), &secrets).is_ok());
        secrets.add_argument("client_id= ").unwrap();
        assert!(check_secrets(&action(&["client_id"]), &secrets).is_err());
    }

    #[test]
    fn only_a_draft_equal_in_everything_readable_and_without_secrets_is_unchanged() {
        let code = "/*! demo 0.1.0: */";
        let draft = |changes: serde_json::Value| -> Action {
            let mut action = json!({
                "id": "a1", "name": "demo", "status": "built", "code": code,
                "runtime": "node22", "secrets": [], "dependencies": [],
                "supported_triggers": [{"id": "post-login", "version": "v3", "status": "CURRENT"}],
            });
            for (key, value) in changes.as_object().unwrap() {
                action[key] = value.clone();
            }
            serde_json::from_value(action).unwrap()
        };
        let options = Options::parse(&[]).unwrap();
        let upload = Upload::new(code, &options);
        let why = |action: Action| match upload.change(Some(&action)) {
            Change::None => "unchanged",
            Change::Update(why) => why,
        };
        assert_eq!(why(draft(json!({}))), "unchanged");
        assert_eq!(why(draft(json!({"code": "other"}))), "the code changed");
        assert_eq!(
            why(draft(json!({"runtime": "node18"}))),
            "the runtime changed"
        );
        assert_eq!(
            why(draft(json!({"status": "failed"}))),
            "its last build failed"
        );
        assert_eq!(
            why(draft(json!({"secrets": [{"name": "old"}]}))),
            "the tenant's draft has secrets this deploy removes"
        );
        let mut with_secret = Options::parse(&[]).unwrap();
        with_secret.secrets.add_argument("k=v").unwrap();
        let upload = Upload::new(code, &with_secret);
        assert!(matches!(
            upload.change(Some(&draft(json!({"secrets": [{"name": "k"}]})))),
            Change::Update(_)
        ));
    }

    #[test]
    fn secrets_over_auth0s_limits_are_refused_without_their_value() {
        let mut secrets = Secrets::default();
        let long = "v".repeat(MAX_SECRET_VALUE + 1);
        secrets.add_argument(&format!("big={long}")).unwrap();
        let err = check_secrets(&action(&["big"]), &secrets)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "the value of secret `big` is over Auth0's 4096 characters"
        );
        let mut many = Secrets::default();
        for n in 0..=MAX_SECRETS {
            many.add_argument(&format!("s{n}=x")).unwrap();
        }
        assert!(check_secrets(&action(&[]), &many).is_err());
    }
}
