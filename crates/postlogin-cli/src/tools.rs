//! Finding the external tools `scripts/setup.sh` installs, without the user touching PATH.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::CliError;

/// Where `scripts/setup.sh` installs: `$POSTLOGIN_TOOLS/bin`, by default `~/.cache/postlogin/bin`.
pub fn tools_bin() -> Option<PathBuf> {
    let root = match env::var_os("POSTLOGIN_TOOLS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env::var_os("HOME")?).join(".cache/postlogin"),
    };
    Some(root.join("bin"))
}

/// The directories searched for tools, in order: postlogin's tools, then PATH, then cargo's bin.
pub fn search_path() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = tools_bin().into_iter().collect();
    if let Some(path) = env::var_os("PATH") {
        dirs.extend(env::split_paths(&path));
    }
    dirs.extend(cargo_home().map(|home| home.join("bin")));
    dirs
}

pub fn cargo_home() -> Option<PathBuf> {
    env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
}

/// `PATH` for child processes: wasm-pack looks for `wasm-bindgen` there, and downloads one from
/// GitHub (unreachable here) when it finds none.
pub fn child_path() -> Result<OsString, CliError> {
    env::join_paths(search_path()).map_err(|err| CliError::Tool {
        tool: "PATH".into(),
        problem: err.to_string(),
    })
}

pub fn find(tool: &str) -> Result<PathBuf, CliError> {
    search_path()
        .iter()
        .map(|dir| dir.join(tool))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| CliError::Tool {
            tool: tool.into(),
            problem: "not found; run scripts/setup.sh (it installs every tool postlogin needs)"
                .into(),
        })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}
