//! `postlogin build`: wasm-pack → wasm-opt → brotli → shim → esbuild → size gate → action.js.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::artifact::Artifact;
use crate::manifest::ActionCrate;
use crate::report::SizeReport;
use crate::{panics, parking, tools, CliError};

/// Auth0 refuses Action code above 100 kB.
pub const AUTH0_CODE_LIMIT: usize = 100_000;

/// Rust ≥ 1.87 emits these post-MVP features; every Node the Actions runtime offers (18+) has them.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub path: PathBuf,
    pub out: PathBuf,
    pub json: bool,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Options, CliError> {
        let mut path = None;
        let mut out = PathBuf::from("dist");
        let mut json = false;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--out" => {
                    out = args
                        .next()
                        .map(PathBuf::from)
                        .ok_or_else(|| CliError::Usage("--out needs a directory".into()))?
                }
                "--json" => json = true,
                flag if flag.starts_with('-') => {
                    return Err(CliError::Usage(format!(
                        "unknown option `{flag}` for build"
                    )))
                }
                positional if path.is_none() => path = Some(PathBuf::from(positional)),
                extra => return Err(CliError::Usage(format!("unexpected argument `{extra}`"))),
            }
        }
        Ok(Options {
            path: path.unwrap_or_else(|| PathBuf::from(".")),
            out,
            json,
        })
    }
}

pub fn run(options: &Options) -> Result<(), CliError> {
    let action = ActionCrate::load(&options.path)?;
    build(&action, &options.out, options.json).map(drop)
}

/// Everything `postlogin build` does once the crate is loaded: writes `out/<name>/action.js`
/// and the size report, prints the report (JSON on stdout when `json`) and progress. Returns
/// the code, for `deploy` and `export`.
pub fn build(action: &ActionCrate, out: &Path, json: bool) -> Result<String, CliError> {
    let work = action.target_dir.join("postlogin").join(&action.name);
    let pkg = work.join("pkg");

    progress(
        "Compiling",
        &format!(
            "{} v{} to WebAssembly (wasm-pack, release)",
            action.name, action.version
        ),
    );
    wasm_pack(action, &pkg)?;
    let raw_wasm = read(&pkg.join("action_bg.wasm"))?;
    let glue = String::from_utf8(read(&pkg.join("action.js"))?)
        .map_err(|_| CliError::Build("wasm-bindgen's glue is not UTF-8".into()))?;

    let (trapping, panic_entry_points) = panics::trap_at_once(&raw_wasm);
    let trapping = parking::without_unused_resume(&trapping);
    let trapping_path = work.join("action.trap.wasm");
    write(&trapping_path, &trapping)?;
    progress(
        "Optimizing",
        &format!("wasm-opt ({panic_entry_points} panic entry points trap at once)"),
    );
    let optimized = work.join("action.opt.wasm");
    wasm_opt(&trapping_path, &optimized)?;
    let optimized_wasm = read(&optimized)?;

    progress(
        "Embedding",
        "brotli, basE91 and the shim (esbuild --minify)",
    );
    let artifact = Artifact::assemble(action, &glue, &optimized_wasm, minify)?;
    let report = SizeReport::new(action, &raw_wasm, optimized_wasm.len(), &artifact);

    let dir = out.join(&action.name);
    fs::create_dir_all(&dir).map_err(|err| CliError::io(&dir, err))?;
    write(&dir.join("size-report.txt"), report.to_text().as_bytes())?;
    write(&dir.join("size-report.json"), report.to_json().as_bytes())?;
    if artifact.code.len() > AUTH0_CODE_LIMIT {
        eprint!("{}", report.to_text());
        return Err(CliError::Build(format!(
            "the Action is {} bytes, over Auth0's limit of {AUTH0_CODE_LIMIT} bytes; \
             see {} for where the bytes go",
            artifact.code.len(),
            dir.join("size-report.txt").display()
        )));
    }
    let file = dir.join("action.js");
    write(&file, artifact.code.as_bytes())?;

    if json {
        println!("{}", report.to_json());
    } else {
        eprint!("{}", report.to_text());
    }
    progress(
        "Finished",
        &format!(
            "{} ({} bytes of Auth0's {AUTH0_CODE_LIMIT})",
            file.display(),
            artifact.code.len()
        ),
    );
    Ok(artifact.code)
}

/// A cargo-style status line on stderr.
pub fn progress(verb: &str, what: &str) {
    eprintln!("{verb:>12} {what}");
}

fn wasm_pack(action: &ActionCrate, pkg: &Path) -> Result<(), CliError> {
    let wasm_pack = tools::find("wasm-pack")?;
    let status = Command::new(&wasm_pack)
        .args([
            "--log-level",
            "warn",
            "build",
            "--release",
            "--target",
            "nodejs",
        ])
        .args(["--no-opt", "--no-pack", "--out-name", "action", "--out-dir"])
        .arg(pkg)
        .arg(&action.dir)
        .env("PATH", tools::child_path()?)
        .env("CARGO_ENCODED_RUSTFLAGS", rustflags(action))
        .status()
        .map_err(|err| tool_error("wasm-pack", err))?;
    if !status.success() {
        return Err(CliError::Build(
            "wasm-pack failed (its output is above)".into(),
        ));
    }
    Ok(())
}

/// LLVM's inliner threshold for the Action's wasm. At `opt-level = "z"` it inlines almost
/// nothing, so a login runs through hundreds of tiny calls. Measured on this repository's six
/// examples (session 16): at 40 every artifact is smaller (176 to 576 bytes) and a warm login
/// of enrich-from-backend about 6 us faster than without the flag; at 75, 10 to 12 us faster
/// but 1.2 kB larger. The sizes do not move smoothly with it (35: +635 bytes, 45: +1,128), so
/// a change to the SDK can make another value better: scan again when sizes jump.
const INLINE_THRESHOLD: &str = "-Cllvm-args=-inline-threshold=40";

/// Same sources, same bytes: paths that differ between machines (the checkout, cargo's
/// registry) would otherwise end up in panic locations inside the wasm. And the inliner's
/// threshold ([`INLINE_THRESHOLD`]).
fn rustflags(action: &ActionCrate) -> String {
    let mut flags = vec![
        format!("--remap-path-prefix={}=", action.workspace_root.display()),
        INLINE_THRESHOLD.to_owned(),
    ];
    if let Some(registry) = tools::cargo_home().map(|home| home.join("registry").join("src")) {
        flags.push(format!("--remap-path-prefix={}=", registry.display()));
    }
    flags.join("\u{1f}")
}

/// Flattening and re-running the relooper first, then -Oz twice (the second round finds what the
/// first exposed): measured on the examples, 1-2% less compressed wasm than a single -Oz
/// (enrich-from-backend -650 bytes of artifact, hello-claim -190), for a few seconds of build.
const WASM_OPT_PASSES: [&str; 4] = ["--flatten", "--rereloop", "-Oz", "-Oz"];

fn wasm_opt(input: &Path, output: &Path) -> Result<(), CliError> {
    let wasm_opt = tools::find("wasm-opt")?;
    let result = Command::new(&wasm_opt)
        .args(WASM_OPT_PASSES)
        .args(WASM_FEATURES)
        .args(["--strip-debug", "--strip-producers"])
        .arg(input)
        .arg("-o")
        .arg(output)
        .env("PATH", tools::child_path()?)
        .output()
        .map_err(|err| tool_error("wasm-opt", err))?;
    if !result.status.success() {
        return Err(CliError::Build(format!(
            "wasm-opt failed:\n{}",
            String::from_utf8_lossy(&result.stderr).trim_end()
        )));
    }
    Ok(())
}

/// esbuild minifies the shim (the wasm is not part of its input).
fn minify(source: &str) -> Result<String, CliError> {
    let esbuild = tools::find("esbuild")?;
    let mut child = Command::new(&esbuild)
        .args([
            "--minify",
            "--format=cjs",
            "--platform=node",
            "--target=node18",
        ])
        .args(["--loader=js", "--log-level=error"])
        .env("PATH", tools::child_path()?)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| tool_error("esbuild", err))?;
    child
        .stdin
        .take()
        .ok_or_else(|| CliError::Build("esbuild has no stdin".into()))?
        .write_all(source.as_bytes())
        .map_err(|err| tool_error("esbuild", err))?;
    let result = child
        .wait_with_output()
        .map_err(|err| tool_error("esbuild", err))?;
    if !result.status.success() {
        return Err(CliError::Build(format!(
            "esbuild failed:\n{}",
            String::from_utf8_lossy(&result.stderr).trim_end()
        )));
    }
    String::from_utf8(result.stdout)
        .map_err(|_| CliError::Build("esbuild output is not UTF-8".into()))
}

fn tool_error(tool: &str, err: std::io::Error) -> CliError {
    CliError::Tool {
        tool: tool.into(),
        problem: err.to_string(),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    fs::read(path).map_err(|err| CliError::io(path, err))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    fs::write(path, bytes).map_err(|err| CliError::io(path, err))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, CliError> {
        Options::parse(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options_have_defaults_and_reject_unknowns() {
        assert_eq!(
            parse(&[]).unwrap(),
            Options {
                path: ".".into(),
                out: "dist".into(),
                json: false
            }
        );
        assert_eq!(
            parse(&["ex", "--out", "o", "--json"]).unwrap(),
            Options {
                path: "ex".into(),
                out: "o".into(),
                json: true
            }
        );
        assert_eq!(
            parse(&["--fast"]).unwrap_err().to_string(),
            "unknown option `--fast` for build"
        );
        assert_eq!(
            parse(&["--out"]).unwrap_err().to_string(),
            "--out needs a directory"
        );
        assert_eq!(
            parse(&["a", "b"]).unwrap_err().to_string(),
            "unexpected argument `b`"
        );
    }
}
