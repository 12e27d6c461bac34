//! Helpers shared by the CLI's integration tests: scratch directories, fixture artifacts, and
//! running the real `postlogin` binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

/// A directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("postlogin-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// `<crate_name>.js`, headed as `postlogin build` heads a file, so `--artifact` accepts it
    /// for that crate. Returns the code.
    pub fn artifact(&self, crate_name: &str, body: &str) -> String {
        let code = format!(
            "/*! {crate_name} {VERSION}: an Auth0 post-login Action (trigger post-login v3), \
             test fixture\n */\n{body}\n"
        );
        self.write(&format!("{crate_name}.js"), &code);
        code
    }

    pub fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }

    /// `secrets.json`, a JSON object of the secrets.
    pub fn secrets_file(&self, secrets: &[(&str, &str)]) -> String {
        let object: serde_json::Map<String, Value> = secrets
            .iter()
            .map(|(name, value)| (name.to_string(), json!(value)))
            .collect();
        self.write("secrets.json", &Value::Object(object).to_string());
        self.path("secrets.json")
    }

    /// An Action crate named `no-secrets` that reads no secrets, outside any workspace; only
    /// `cargo metadata` reads it (tests give its code with `--artifact`).
    pub fn secretless_crate(&self) -> String {
        self.write(
            "no-secrets/Cargo.toml",
            &format!(
                "[package]\nname = \"no-secrets\"\nversion = \"{VERSION}\"\nedition = \"2021\"\n\n\
                 [lib]\ncrate-type = [\"cdylib\", \"rlib\"]\n\n[workspace]\n"
            ),
        );
        self.write("no-secrets/src/lib.rs", "");
        self.path("no-secrets")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Run {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The file a build wrote, from its `Finished <file> (N bytes of Auth0's 100000)` line.
    pub fn built_file(&self) -> &str {
        self.stderr
            .lines()
            .filter(|line| line.ends_with("bytes of Auth0's 100000)"))
            .find_map(|line| line.trim_start().strip_prefix("Finished "))
            .and_then(|rest| rest.split(" (").next())
            .expect("postlogin's Finished line naming the file")
    }
}

/// The real binary, without any AUTH0_* variable from the environment the tests run in.
pub fn postlogin(env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_postlogin"));
    for var in ["AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET"] {
        command.env_remove(var);
    }
    let output = command
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    Run {
        success: output.status.success(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}
