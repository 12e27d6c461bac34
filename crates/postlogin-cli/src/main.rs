//! `postlogin`: compiles a Rust Action crate into one Auth0 post-login Action file.

mod artifact;
mod base91;
mod build;
mod contributors;
mod deploy;
mod export;
mod management;
mod manifest;
mod panics;
mod parking;
mod report;
mod scaffold;
mod secret_args;
mod ship;
mod test_artifact;
mod tools;
mod wasm;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
postlogin: write Auth0 post-login Actions in Rust

Usage:
  postlogin build [PATH] [--out DIR] [--json]
  postlogin new PATH
  postlogin test ARTIFACT --event FILE.json [--secret NAME=VALUE]... [--secrets-file FILE]
                [--json] [--logins N] [--node PATH_OR_NAME]
  postlogin deploy [PATH] [--secret NAME=VALUE]... [--secrets-file FILE] [--runtime node22|node18]
                  [--no-bind] [--dry-run] [--build-timeout SECS] [--artifact FILE]
  postlogin export [PATH] --format a0deploy|a0deploy-yaml|terraform --out DIR
                  [--runtime node22|node18] [--artifact FILE]

Commands:
  build   Compile the Action crate at PATH (default: .) into ONE JavaScript file,
          DIR/<crate-name>/action.js (DIR defaults to ./dist), plus a size report beside it.
          Paste the file into the Auth0 Actions editor, or deploy it with the Management API.
  new     Create an Action crate at PATH, named after its last component, that sets
          https://example.com/hello = \"world\" on both tokens, with a native test. It depends on
          this checkout's SDK: `cargo test` passes in it at once, `postlogin build PATH` builds it.
  test    Run a built action.js in Node under a local emulator of Auth0's post-login runtime
          (the whole api with Auth0's rules and limits) on the event in FILE.json, its missing
          fields filled like the editor's sample event, and print what the Action did: outcome,
          api calls in order, claims, metadata, redirect, logs (with Auth0's 256-character cap),
          time. Secret values never show: they print as [secret NAME]. Exit status 0 when the
          login was allowed or denied, 1 when it failed or could not run.
  deploy  Build the Action and put it on an Auth0 tenant through the Management API: create it
          (or update the one with the crate's name), wait for Auth0's build, deploy, and bind it
          to post-login after the Actions already bound there. Reads AUTH0_DOMAIN (tenant domain,
          or an origin such as http://127.0.0.1:PORT), AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET
          (an application allowed read:actions, create:actions, update:actions). Every secret in
          [package.metadata.postlogin] secrets needs a value, or nothing is sent.
  export  Build the Action and write it for the Auth0 Deploy CLI (directory format: actions/ and
          triggers/; or tenant.yaml) or Terraform (auth0_action, auth0_trigger_actions), with
          secrets as ##NAME## placeholders or sensitive variables, never values.

Options:
  --out DIR   where to write <crate-name>/action.js (default: dist)
  --json      print the size report as JSON on stdout (progress stays on stderr)
  -h, --help  print this help

Test options:
  --event FILE.json      the post-login event (at least {}; the sample fills the rest)
  --secret NAME=VALUE    a secret's value (repeatable; prefer --secrets-file: argv is visible)
  --secrets-file FILE    secrets as a JSON object or NAME=VALUE lines (a later value wins)
  --json                 print one JSON object: {\"outcome\", \"calls\", \"logs\", \"ms\", …}
  --logins N             N logins in a row on one warm instance (module and api.cache kept)
  --node PATH_OR_NAME    the Node to run (default: node22, node20, node18, then node)

Deploy and export options (deploy also takes --secret and --secrets-file, as test does):
  --runtime RUNTIME      node22 (default) or node18
  --no-bind              deploy without touching the post-login bindings
  --dry-run              show what deploy would change (secret names only); change nothing
  --build-timeout SECS   how long to wait for Auth0 to build the Action (default 300)
  --artifact FILE        ship this file from an earlier `postlogin build` instead of building
  --format FORMAT        a0deploy, a0deploy-yaml or terraform

Examples:
  postlogin build examples/enrich-from-backend
  postlogin build my-action --out build/actions --json
  postlogin new ../my-action && cd ../my-action && cargo test
  postlogin test dist/my-action/action.js --event event.json --secrets-file dev.env
  postlogin test dist/my-action/action.js --event event.json --logins 2 --json
  AUTH0_DOMAIN=tenant.eu.auth0.com AUTH0_CLIENT_ID=… AUTH0_CLIENT_SECRET=… \
    postlogin deploy examples/enrich-from-backend --secrets-file prod.env --dry-run
  postlogin deploy my-action --secrets-file prod.env --artifact dist/my-action/action.js
  postlogin export my-action --format terraform --out infra/auth0

The tools it drives (wasm-pack, wasm-bindgen, wasm-opt, esbuild) are installed by
scripts/setup.sh into ~/.cache/postlogin/bin (or $POSTLOGIN_TOOLS/bin); postlogin finds them there.
";

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Input(String),
    #[error("{tool}: {problem}")]
    Tool { tool: String, problem: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Build(String),
}

impl CliError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        CliError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Usage(problem)) => {
            eprintln!("error: {problem}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), CliError> {
    match args.first().map(String::as_str) {
        None => Err(CliError::Usage("a command is required".into())),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        Some("build") => build::run(&build::Options::parse(&args[1..])?),
        Some("new") => scaffold::run(&args[1..]),
        Some("test") => test_artifact::run(&test_artifact::Options::parse(&args[1..])?),
        Some("deploy") => deploy::run(&deploy::Options::parse(&args[1..])?),
        Some("export") => export::run(&export::Options::parse(&args[1..])?),
        Some(other) => Err(CliError::Usage(format!("unknown command `{other}`"))),
    }
}
