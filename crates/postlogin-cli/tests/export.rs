//! `postlogin export` end to end: the real binary writes the Deploy CLI's and Terraform's
//! files; the tests read them back and check their exact structure.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value};
use support::{example, postlogin, Scratch, VERSION};

const ACTION: &str = "enrich-from-backend";
const SECRET_NAMES: [&str; 5] = [
    "auth0_domain",
    "client_id",
    "client_secret",
    "audience",
    "backend_url",
];

fn export(crate_dir: &str, artifact: &str, format: &str, out: &str) -> support::Run {
    let run = postlogin(
        &[],
        &[
            "export",
            crate_dir,
            "--format",
            format,
            "--out",
            out,
            "--artifact",
            artifact,
        ],
    );
    assert!(run.success, "{}", run.stderr);
    run
}

/// Every file under `dir`, relative, with `/` separators.
fn files(dir: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().to_str().unwrap();
                found.insert(relative.replace('\\', "/"));
            }
        }
    }
    found
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

#[test]
fn the_deploy_cli_directory_format_has_placeholders_and_merges_triggers() {
    let scratch = Scratch::new("export-a0deploy");
    let code = scratch.artifact(ACTION, "exports.onExecutePostLogin = async () => {};");
    let out = scratch.0.join("tenant");
    // A tenant directory that already binds another Action, and another trigger.
    scratch.write(
        "tenant/triggers/triggers.json",
        r#"{"post-login": [{"action_name": "rate-limiter", "display_name": "Rate limiter"}],
            "credentials-exchange": [{"action_name": "m2m-claims", "display_name": "m2m"}]}"#,
    );
    let example = example(ACTION);
    let artifact = scratch.path(&format!("{ACTION}.js"));
    let run = export(
        example.to_str().unwrap(),
        &artifact,
        "a0deploy",
        out.to_str().unwrap(),
    );
    assert_eq!(run.stdout, "");

    assert_eq!(
        files(&out),
        BTreeSet::from([
            format!("actions/{ACTION}.json"),
            format!("actions/{ACTION}/code.js"),
            "triggers/triggers.json".to_string(),
        ])
    );
    assert_eq!(read(&out, &format!("actions/{ACTION}/code.js")), code);
    let action: Value =
        serde_json::from_str(&read(&out, &format!("actions/{ACTION}.json"))).unwrap();
    let secrets: Vec<Value> = SECRET_NAMES
        .iter()
        .map(|name| json!({"name": name, "value": format!("##{name}##")}))
        .collect();
    assert_eq!(
        action,
        json!({
            "name": ACTION,
            "code": format!("./actions/{ACTION}/code.js"),
            "runtime": "node22",
            "dependencies": [],
            "secrets": secrets,
            "supported_triggers": [{"id": "post-login", "version": "v3"}],
            "deployed": true,
        })
    );
    let expected_triggers = json!({
        "post-login": [
            {"action_name": "rate-limiter", "display_name": "Rate limiter"},
            {"action_name": ACTION, "display_name": ACTION},
        ],
        "credentials-exchange": [{"action_name": "m2m-claims", "display_name": "m2m"}],
    });
    let triggers: Value = serde_json::from_str(&read(&out, "triggers/triggers.json")).unwrap();
    assert_eq!(triggers, expected_triggers);

    // Exporting again binds once, not twice.
    export(
        example.to_str().unwrap(),
        &artifact,
        "a0deploy",
        out.to_str().unwrap(),
    );
    let triggers: Value = serde_json::from_str(&read(&out, "triggers/triggers.json")).unwrap();
    assert_eq!(triggers, expected_triggers);
}

#[test]
fn the_deploy_cli_yaml_format_is_one_tenant_yaml_with_quoted_strings() {
    let scratch = Scratch::new("export-yaml");
    let code = scratch.artifact(ACTION, "exports.onExecutePostLogin = async () => {};");
    let out = scratch.0.join("tenant");
    let example = example(ACTION);
    let artifact = scratch.path(&format!("{ACTION}.js"));
    let out_dir = out.to_str().unwrap();
    let crate_dir = example.to_str().unwrap();
    let args = [
        "export",
        crate_dir,
        "--format",
        "a0deploy-yaml",
        "--out",
        out_dir,
        "--artifact",
        &artifact,
        "--runtime",
        "node18",
    ];
    let run = postlogin(&[], &args);
    assert!(run.success, "{}", run.stderr);
    assert_eq!(
        files(&out),
        BTreeSet::from([
            format!("actions/{ACTION}/code.js"),
            "tenant.yaml".to_string()
        ])
    );
    assert_eq!(read(&out, &format!("actions/{ACTION}/code.js")), code);
    let yaml = read(&out, "tenant.yaml");
    let mut expected = format!(
        "# Generated by postlogin export from {ACTION} {VERSION}; regenerate rather than edit.\n\
         # Secrets are ##NAME## placeholders: give their values in AUTH0_KEYWORD_REPLACE_MAPPINGS.\n\
         actions:\n\
         \x20 - name: \"{ACTION}\"\n\
         \x20   code: \"./actions/{ACTION}/code.js\"\n\
         \x20   runtime: \"node18\"\n\
         \x20   dependencies: []\n\
         \x20   deployed: true\n\
         \x20   secrets:\n"
    );
    for name in SECRET_NAMES {
        expected += &format!("      - name: \"{name}\"\n        value: \"##{name}##\"\n");
    }
    expected += &format!(
        "    supported_triggers:\n\
         \x20     - id: \"post-login\"\n\
         \x20       version: \"v3\"\n\
         triggers:\n\
         \x20 \"post-login\":\n\
         \x20   - action_name: \"{ACTION}\"\n\
         \x20     display_name: \"{ACTION}\"\n"
    );
    assert_eq!(yaml, expected);
    // Structure: two-space indentation, and every value is a flow sequence, a boolean or a
    // double-quoted scalar that JSON (a subset of YAML's double-quoted style) reads back.
    for line in yaml.lines().filter(|l| !l.starts_with('#')) {
        let indent = line.len() - line.trim_start().len();
        assert_eq!(indent % 2, 0, "{line}");
        let entry = line.trim_start().trim_start_matches("- ");
        let (_, value) = entry.split_once(':').unwrap();
        let value = value.trim();
        assert!(
            value.is_empty()
                || ["[]", "true"].contains(&value)
                || serde_json::from_str::<String>(value).is_ok(),
            "{line}"
        );
    }

    // Its own tenant.yaml is replaced; someone else's is not.
    assert!(postlogin(&[], &args).success);
    std::fs::write(out.join("tenant.yaml"), "clients: []\n").unwrap();
    let run = postlogin(&[], &args);
    assert!(!run.success);
    assert!(
        run.stderr
            .contains("tenant.yaml exists and was not written by postlogin export"),
        "{}",
        run.stderr
    );
    assert_eq!(read(&out, "tenant.yaml"), "clients: []\n");
}

#[test]
fn terraform_declares_the_action_its_binding_and_sensitive_variables() {
    let scratch = Scratch::new("export-terraform");
    let code = scratch.artifact(ACTION, "exports.onExecutePostLogin = async () => {};");
    let out = scratch.0.join("infra");
    let example = example(ACTION);
    let artifact = scratch.path(&format!("{ACTION}.js"));
    export(
        example.to_str().unwrap(),
        &artifact,
        "terraform",
        out.to_str().unwrap(),
    );
    assert_eq!(
        files(&out),
        BTreeSet::from([
            format!("{ACTION}.tf"),
            format!("{ACTION}/code.js"),
            "post-login.tf".to_owned()
        ])
    );
    assert_eq!(read(&out, &format!("{ACTION}/code.js")), code);
    let tf = read(&out, &format!("{ACTION}.tf"));

    let blocks = |kind: &str| tf.lines().filter(|l| l.starts_with(kind)).count();
    assert_eq!(blocks("variable \""), 5, "{tf}");
    assert_eq!(
        blocks("resource \"auth0_action\" \"enrich_from_backend\" {"),
        1
    );
    assert_eq!(
        blocks("resource \"auth0_trigger_actions\" \"post_login\" {"),
        0,
        "the binding is in post-login.tf"
    );
    for name in SECRET_NAMES {
        let variable = format!("enrich_from_backend_{name}");
        assert!(
            tf.contains(&format!(
                "variable \"{variable}\" {{\n  description = \"Secret {name} of the Auth0 \
                 Action {ACTION}\"\n  type        = string\n  sensitive   = true\n}}\n"
            )),
            "{tf}"
        );
        assert!(
            tf.contains(&format!(
                "  secrets {{\n    name  = \"{name}\"\n    value = var.{variable}\n  }}\n"
            )),
            "{tf}"
        );
    }
    assert!(tf.contains(&format!(
        "  name    = \"{ACTION}\"\n  runtime = \"node22\"\n  deploy  = true\n  \
         code    = file(\"${{path.module}}/{ACTION}/code.js\")\n"
    )));
    assert!(tf.contains(
        "  supported_triggers {\n    id      = \"post-login\"\n    version = \"v3\"\n  }\n"
    ));
    let bindings = read(&out, "post-login.tf");
    assert!(
        bindings.contains(
            "resource \"auth0_trigger_actions\" \"post_login\" {\n  trigger = \"post-login\"\n\n  \
         actions {\n    id           = auth0_action.enrich_from_backend.id\n    \
         display_name = auth0_action.enrich_from_backend.name\n  }\n}\n"
        ),
        "{bindings}"
    );
    let depth = tf
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(str::chars)
        .try_fold(0i32, |depth, c| {
            let depth = depth + i32::from(c == '{') - i32::from(c == '}');
            (depth >= 0).then_some(depth)
        });
    assert_eq!(depth, Some(0), "unbalanced braces:\n{tf}");
}

#[test]
fn an_action_without_secrets_exports_an_empty_list_and_export_takes_no_values() {
    let scratch = Scratch::new("export-secretless");
    let crate_dir = scratch.secretless_crate();
    scratch.artifact("no-secrets", "exports.onExecutePostLogin = async () => {};");
    let artifact = scratch.path("no-secrets.js");
    let out = scratch.path("out");
    export(&crate_dir, &artifact, "a0deploy", &out);
    let action: Value =
        serde_json::from_str(&read(Path::new(&out), "actions/no-secrets.json")).unwrap();
    assert_eq!(action["secrets"], json!([]));
    export(&crate_dir, &artifact, "terraform", &out);
    assert!(!read(Path::new(&out), "no-secrets.tf").contains("variable"));

    let secrets = scratch.secrets_file(&[("client_secret", "never-exported-Qw3")]);
    let run = postlogin(
        &[],
        &[
            "export",
            &crate_dir,
            "--format",
            "terraform",
            "--out",
            &out,
            "--secrets-file",
            &secrets,
        ],
    );
    assert!(!run.success);
    assert!(run
        .stderr
        .starts_with("error: unknown option `--secrets-file` for export"));
}

/// With a real build (wasm-pack and the tools from scripts/setup.sh): `scripts/test.sh` runs it.
#[test]
#[ignore = "builds the example with wasm-pack; scripts/test.sh runs it with --include-ignored"]
fn export_builds_the_example_and_writes_exactly_the_built_file() {
    let scratch = Scratch::new("export-real-build");
    let out = scratch.path("tenant");
    let example = example(ACTION);
    let run = postlogin(
        &[],
        &[
            "export",
            example.to_str().unwrap(),
            "--format",
            "a0deploy",
            "--out",
            &out,
        ],
    );
    assert!(run.success, "{}", run.stderr);
    let built = run.built_file();
    let code = read(Path::new(&out), &format!("actions/{ACTION}/code.js"));
    assert!(code.starts_with(&format!("/*! {ACTION} {VERSION}:")));
    assert_eq!(code, std::fs::read_to_string(built).unwrap());
}

#[test]
fn several_actions_exported_into_one_directory() {
    let scratch = Scratch::new("export-several");
    scratch.artifact(ACTION, "exports.onExecutePostLogin = async () => {};");
    let second = scratch.secretless_crate();
    scratch.artifact("no-secrets", "exports.onExecutePostLogin = async () => {};");
    let first = example(ACTION);
    let (first, first_artifact) = (
        first.to_str().unwrap(),
        scratch.path(&format!("{ACTION}.js")),
    );
    let second_artifact = scratch.path("no-secrets.js");

    // Terraform: one auth0_trigger_actions for both, in export order, whatever is re-exported.
    let out = scratch.path("tf");
    export(first, &first_artifact, "terraform", &out);
    export(&second, &second_artifact, "terraform", &out);
    export(first, &first_artifact, "terraform", &out);
    let dir = Path::new(&out);
    let all: String = ["enrich-from-backend.tf", "no-secrets.tf", "post-login.tf"]
        .iter()
        .map(|file| read(dir, file))
        .collect();
    assert_eq!(
        all.matches("resource \"auth0_trigger_actions\"").count(),
        1,
        "{all}"
    );
    let bindings = read(dir, "post-login.tf");
    let ids: Vec<&str> = bindings
        .lines()
        .filter_map(|line| line.trim().strip_prefix("id           = "))
        .collect();
    assert_eq!(
        ids,
        [
            "auth0_action.enrich_from_backend.id",
            "auth0_action.no_secrets.id"
        ]
    );

    // tenant.yaml describes a whole tenant: a second Action is refused, the first kept.
    let out = scratch.path("yaml");
    export(first, &first_artifact, "a0deploy-yaml", &out);
    let before = read(Path::new(&out), "tenant.yaml");
    let run = postlogin(
        &[],
        &[
            "export",
            &second,
            "--artifact",
            &second_artifact,
            "--format",
            "a0deploy-yaml",
            "--out",
            &out,
        ],
    );
    assert!(!run.success);
    assert!(
        run.stderr
            .contains("tenant.yaml holds the Action `enrich-from-backend`"),
        "{}",
        run.stderr
    );
    assert_eq!(read(Path::new(&out), "tenant.yaml"), before);
}
