//! `postlogin new PATH`: an Action crate that builds and passes its tests at once.

use std::fs;
use std::path::{Path, PathBuf};

use crate::CliError;

/// The SDK this compiler was built with: the scaffold depends on this checkout's copy.
const SDK_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../postlogin");

pub fn run(args: &[String]) -> Result<(), CliError> {
    let [path] = args else {
        return Err(CliError::Usage(
            "new takes exactly one PATH (the new crate's directory)".into(),
        ));
    };
    let dir = PathBuf::from(path);
    let name = crate_name(&dir)?;
    if dir.exists()
        && fs::read_dir(&dir)
            .map_err(|err| CliError::io(&dir, err))?
            .next()
            .is_some()
    {
        return Err(CliError::Input(format!(
            "{} exists and is not empty: choose a new directory",
            dir.display()
        )));
    }
    let sdk = Path::new(SDK_DIR)
        .canonicalize()
        .map_err(|err| CliError::io(Path::new(SDK_DIR), err))?;
    for (file, contents) in files(&name, &sdk) {
        let file = dir.join(file);
        if let Some(parent) = file.parent() {
            fs::create_dir_all(parent).map_err(|err| CliError::io(parent, err))?;
        }
        fs::write(&file, contents).map_err(|err| CliError::io(&file, err))?;
    }
    eprintln!(
        "{:>12} Action crate `{name}` in {}",
        "Created",
        dir.display()
    );
    eprintln!(
        "{:>12} cd {dir} && cargo test, then postlogin build {dir}",
        "Next",
        dir = dir.display()
    );
    Ok(())
}

/// The last path component, as a crate name: lowercase letters, digits, `-` and `_`.
fn crate_name(dir: &Path) -> Result<String, CliError> {
    let name = dir
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default();
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if valid {
        Ok(name.to_owned())
    } else {
        Err(CliError::Input(format!(
            "`{name}` cannot name a crate: use lowercase letters, digits, - and _, starting \
             with a letter"
        )))
    }
}

fn files(name: &str, sdk: &Path) -> Vec<(&'static str, String)> {
    let module = name.replace('-', "_");
    vec![
        (
            "Cargo.toml",
            format!(
                r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
# cdylib for the WebAssembly that `postlogin build` compiles, rlib for native tests.
crate-type = ["cdylib", "rlib"]

[dependencies]
postlogin = {{ path = "{sdk}" }}

# How the compiled Action behaves when it fails, and what it reads (see postlogin's README).
[package.metadata.postlogin]
on_error = "deny"
secrets = []

# Its own workspace, so it builds wherever it is created; every login loads this code, so the
# release profile is tuned for size.
[workspace]

[profile.release]
opt-level = "z"
lto = true
codegen-units = 1
panic = "abort"
debug = false
"#,
                sdk = sdk.display()
            ),
        ),
        (
            "src/lib.rs",
            r#"//! An Auth0 post-login Action. `cargo test` runs it natively; `postlogin build .` compiles it
//! into one JavaScript file for the Auth0 editor.

use postlogin::{Api, Error};

pub const CLAIM: &str = "https://example.com/hello";

/// To read the login's event (user, client, secrets…), take `event: &postlogin::Event` as the
/// first parameter; an Action that does not read it never has it parsed, and stays smaller.
#[postlogin::action]
pub async fn on_execute_post_login(api: &mut Api) -> Result<(), Error> {
    api.access_token().set_custom_claim(CLAIM, "world")?;
    api.id_token().set_custom_claim(CLAIM, "world")
}
"#
            .to_owned(),
        ),
        (
            "tests/action.rs",
            format!(
                r#"use postlogin::testing::Harness;
use postlogin::{{json, Command}};
use {module}::{{on_execute_post_login, CLAIM}};

#[test]
fn says_hello_on_both_tokens() {{
    let event = json!({{"user": {{"user_id": "auth0|1"}}}});
    let run = Harness::new().run(event, async |_, api| on_execute_post_login(api).await);
    assert!(run.result.is_ok(), "{{:?}}", run.result);
    assert_eq!(
        run.commands,
        [
            Command::new("accessToken.setCustomClaim", vec![CLAIM.into(), json!("world")]),
            Command::new("idToken.setCustomClaim", vec![CLAIM.into(), json!("world")]),
        ]
    );
}}
"#
            ),
        ),
        ("README.md", format!("# {name}\n\nAn Auth0 post-login Action written with postlogin.\n\n```sh\ncargo test                  # the Action's logic, natively\npostlogin build .           # dist/{name}/action.js, to paste into the Auth0 editor\n```\n")),
        (".gitignore", "/target/\n/dist/\n".to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_names_come_from_the_last_path_component() {
        assert_eq!(
            crate_name(Path::new("/tmp/x/hello-claim")).unwrap(),
            "hello-claim"
        );
        assert_eq!(crate_name(Path::new("my_action2")).unwrap(), "my_action2");
        for bad in ["Hello", "2fa", "a b", "a.b", ""] {
            let err = crate_name(Path::new(bad)).unwrap_err().to_string();
            assert!(err.contains("cannot name a crate"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_scaffold_points_at_this_sdk_and_names_its_module() {
        let files = files("hello-claim", Path::new("/sdk"));
        let manifest = &files[0].1;
        assert!(manifest.contains("name = \"hello-claim\""));
        assert!(manifest.contains("postlogin = { path = \"/sdk\" }"));
        assert!(manifest.contains("crate-type = [\"cdylib\", \"rlib\"]"));
        assert!(files[2]
            .1
            .contains("use hello_claim::{on_execute_post_login, CLAIM};"));
    }
}
