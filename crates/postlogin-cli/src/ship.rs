//! What `deploy` and `export` ship: a fresh build of the crate, or a file `postlogin build`
//! already wrote (`--artifact`), checked against the crate it claims to come from; and the
//! Auth0 runtime it runs on.

use std::path::Path;

use crate::build::{self, AUTH0_CODE_LIMIT};
use crate::manifest::ActionCrate;
use crate::CliError;

/// The Actions runtimes that run the artifact (Node 18 and 22 are both tested).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    Node22,
    Node18,
}

impl Runtime {
    pub fn parse(value: Option<&String>) -> Result<Runtime, CliError> {
        match value.map(String::as_str) {
            Some("node22") => Ok(Runtime::Node22),
            Some("node18") => Ok(Runtime::Node18),
            _ => Err(CliError::Usage("--runtime must be node22 or node18".into())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Node22 => "node22",
            Runtime::Node18 => "node18",
        }
    }
}

/// The code to ship. Without `artifact` the crate is built into its target directory
/// (`target/postlogin/dist/<name>/action.js`), so deploying leaves no files where it runs.
pub fn code(action: &ActionCrate, artifact: Option<&Path>) -> Result<String, CliError> {
    match artifact {
        None => {
            let out = action.target_dir.join("postlogin").join("dist");
            build::build(action, &out, false)
        }
        Some(file) => {
            let code = std::fs::read_to_string(file).map_err(|err| CliError::io(file, err))?;
            check_artifact(action, file, &code)?;
            build::progress(
                "Using",
                &format!("{} ({} bytes, built earlier)", file.display(), code.len()),
            );
            Ok(code)
        }
    }
}

/// The header `postlogin build` writes starts `/*! <name> <version>:`; shipping a file built
/// from another crate, or from another version of this one, would put the wrong code under
/// this Action's name.
fn check_artifact(action: &ActionCrate, file: &Path, code: &str) -> Result<(), CliError> {
    let expected = format!("/*! {} {}:", action.name, action.version);
    if !code.starts_with(&expected) {
        let first_line: String = code
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(80)
            .collect();
        return Err(CliError::Input(format!(
            "{} was not built by `postlogin build` from {} {} (its first line is `{first_line}`)",
            file.display(),
            action.name,
            action.version
        )));
    }
    if code.len() > AUTH0_CODE_LIMIT {
        return Err(CliError::Input(format!(
            "{} is {} bytes, over Auth0's limit of {AUTH0_CODE_LIMIT} bytes",
            file.display(),
            code.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Policy;

    fn action() -> ActionCrate {
        ActionCrate {
            name: "demo".into(),
            version: "1.2.0".into(),
            dir: "/x".into(),
            workspace_root: "/x".into(),
            target_dir: "/x/target".into(),
            policy: Policy::default(),
        }
    }

    #[test]
    fn an_artifact_must_come_from_this_crate_and_version() {
        let file = Path::new("a.js");
        assert!(check_artifact(&action(), file, "/*! demo 1.2.0: an Auth0 …\n*/").is_ok());
        let err = check_artifact(&action(), file, "/*! demo 1.1.0: an Auth0 …\n*/")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "a.js was not built by `postlogin build` from demo 1.2.0 \
             (its first line is `/*! demo 1.1.0: an Auth0 …`)"
        );
        assert!(check_artifact(&action(), file, "exports.onExecutePostLogin = 1").is_err());
        let huge = format!("/*! demo 1.2.0: */{}", " ".repeat(AUTH0_CODE_LIMIT));
        assert!(check_artifact(&action(), file, &huge)
            .unwrap_err()
            .to_string()
            .contains("over Auth0's limit"));
    }

    #[test]
    fn runtimes_are_node22_or_node18() {
        assert_eq!(
            Runtime::parse(Some(&"node18".to_string())).unwrap(),
            Runtime::Node18
        );
        assert!(Runtime::parse(Some(&"node20".to_string())).is_err());
        assert!(Runtime::parse(None).is_err());
    }
}
