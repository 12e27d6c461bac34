//! `postlogin`: compiles a Rust Action crate into one Auth0 post-login Action file.

mod artifact;
mod base91;
mod build;
mod contributors;
mod imports;
mod manifest;
mod report;
mod scaffold;
mod secret_args;
mod tools;
mod wasm;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
postlogin: write Auth0 post-login Actions in Rust

Usage:
  postlogin build [PATH] [--out DIR] [--json]
  postlogin new PATH

Commands:
  build   Compile the Action crate at PATH (default: .) into ONE JavaScript file,
          DIR/<crate-name>/action.js (DIR defaults to ./dist), plus a size report beside it.
          Paste the file into the Auth0 Actions editor, or deploy it with the Management API.
  new     Create an Action crate at PATH, named after its last component, that sets
          https://example.com/hello = \"world\" on both tokens, with a native test. It depends on
          this checkout's SDK: `cargo test` passes in it at once, `postlogin build PATH` builds it.

Options:
  --out DIR   where to write <crate-name>/action.js (default: dist)
  --json      print the size report as JSON on stdout (progress stays on stderr)
  -h, --help  print this help

Examples:
  postlogin build examples/enrich-from-backend
  postlogin build my-action --out build/actions --json
  postlogin new ../my-action && cd ../my-action && cargo test

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
        Some(other) => Err(CliError::Usage(format!("unknown command `{other}`"))),
    }
}
