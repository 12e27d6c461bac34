//! `postlogin deploy` end to end: the real binary against a local Management API emulator on
//! 127.0.0.1, asserting on the requests the emulator recorded and on what the CLI printed.

mod management_emulator;
mod support;

use management_emulator::{Config, Emulator, CLIENT_ID, CLIENT_SECRET};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::{example, postlogin, Run, Scratch, VERSION};

const ACTION: &str = "enrich-from-backend";
/// The example's secrets, with values no output may contain.
const SECRETS: [(&str, &str); 5] = [
    ("auth0_domain", "tenant-Hx2.example.com"),
    ("client_id", "backend-client-Jq4"),
    ("client_secret", "backend-secret-Pq7wZ"),
    ("audience", "https://api-Kd9.example.com/"),
    ("backend_url", "https://backend-Vr3.example.com"),
];

/// `postlogin deploy` with the emulator's credentials.
fn deploy(emulator: &Emulator, args: &[&str]) -> Run {
    let env = [
        ("AUTH0_DOMAIN", emulator.origin.as_str()),
        ("AUTH0_CLIENT_ID", CLIENT_ID),
        ("AUTH0_CLIENT_SECRET", CLIENT_SECRET),
    ];
    let mut all = vec!["deploy"];
    all.extend_from_slice(args);
    let run = postlogin(&env, &all);
    assert_no_leak(&run, emulator);
    run
}

/// No secret value, client secret or token in anything the CLI printed.
fn assert_no_leak(run: &Run, emulator: &Emulator) {
    let output = format!("{}{}", run.stdout, run.stderr);
    let mut values: Vec<String> = SECRETS.iter().map(|(_, v)| v.to_string()).collect();
    values.push(CLIENT_SECRET.into());
    values.extend(emulator.state().tokens_issued.iter().cloned());
    for value in values {
        assert!(
            !output.contains(&value),
            "the output contains a secret value or token:\n{output}"
        );
    }
}

/// Deploys the example's fixture artifact with every secret, plus `extra` arguments.
fn deploy_example(emulator: &Emulator, scratch: &Scratch, extra: &[&str]) -> Run {
    let secrets = scratch.secrets_file(&SECRETS);
    let artifact = scratch.path(&format!("{ACTION}.js"));
    let path = example(ACTION).display().to_string();
    let mut args = vec![
        path.as_str(),
        "--secrets-file",
        &secrets,
        "--artifact",
        &artifact,
    ];
    args.extend_from_slice(extra);
    deploy(emulator, &args)
}

fn methods_and_paths(requests: &[management_emulator::Recorded]) -> Vec<String> {
    requests
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r.method,
                r.path.split('?').next().unwrap(),
                r.status
            )
        })
        .collect()
}

#[test]
fn a_first_deploy_creates_builds_deploys_and_binds_after_the_existing_actions() {
    let emulator = Emulator::start(Config::default());
    let scratch = Scratch::new("first");
    let code = scratch.artifact(ACTION, "exports.onExecutePostLogin = async () => {};");
    let run = deploy_example(&emulator, &scratch, &[]);
    assert!(run.success, "{}", run.stderr);

    let created = emulator
        .action_named(ACTION)
        .expect("the Action was created");
    let id = created.id.clone();
    let requests = emulator.requests();
    assert_eq!(
        methods_and_paths(&requests),
        [
            "POST /oauth/token 200".to_string(),
            "GET /api/v2/actions/actions 200".into(),
            "POST /api/v2/actions/actions 201".into(),
            format!("GET /api/v2/actions/actions/{id} 200"),
            format!("GET /api/v2/actions/actions/{id} 200"),
            format!("GET /api/v2/actions/actions/{id} 200"),
            format!("POST /api/v2/actions/actions/{id}/deploy 200"),
            // Read after the build, right before the PATCH that replaces the whole list.
            "GET /api/v2/actions/triggers/post-login/bindings 200".into(),
            "PATCH /api/v2/actions/triggers/post-login/bindings 200".into(),
        ]
    );
    let create = requests
        .iter()
        .find(|r| r.is("POST", "/api/v2/actions/actions"))
        .unwrap()
        .json();
    let mut sorted: Vec<Value> = SECRETS
        .iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
    sorted.sort_by_key(|s| s["name"].as_str().unwrap().to_string());
    assert_eq!(
        create,
        json!({
            "name": ACTION,
            "supported_triggers": [{"id": "post-login", "version": "v3"}],
            "code": code,
            "runtime": "node22",
            "dependencies": [],
            "secrets": sorted,
        })
    );
    assert_eq!(created.deployed_versions, 1);
    assert!(created.all_changes_deployed);
    let bind = requests
        .iter()
        .find(|r| r.is("PATCH", "/api/v2/actions/triggers"))
        .unwrap()
        .json();
    let other_ids: Vec<String> = emulator
        .state()
        .bindings
        .iter()
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(
        bind,
        json!({"bindings": [
            {"ref": {"type": "action_id", "value": other_ids[0]}, "display_name": "rate-limiter (display)"},
            {"ref": {"type": "action_id", "value": other_ids[1]}, "display_name": "geo-block (display)"},
            {"ref": {"type": "action_id", "value": id}, "display_name": ACTION},
        ]})
    );
    assert_eq!(
        emulator.bound_names(),
        ["rate-limiter", "geo-block", ACTION]
    );
    assert_eq!(
        run.stdout,
        format!(
            "{ACTION} is deployed on {} (action {id} as version 1); bound to post-login at \
             position 3 of 3\n",
            emulator.origin
        )
    );
    assert!(run.stderr.contains("Building"), "{}", run.stderr);
    assert!(run.stderr.contains("Built"), "{}", run.stderr);
}

#[test]
fn a_second_run_updates_the_same_action_and_keeps_the_binding_where_it_is() {
    let emulator = Emulator::start(Config::default());
    let scratch = Scratch::new("second");
    scratch.artifact(ACTION, "exports.onExecutePostLogin = async () => {};");
    assert!(deploy_example(&emulator, &scratch, &[]).success);
    let id = emulator.action_named(ACTION).unwrap().id;
    // Someone moves the Action to the front in the dashboard: a later deploy must leave it.
    {
        let mut state = emulator.state();
        let ours = state.bindings.pop().unwrap();
        state.bindings.insert(0, ours);
    }
    let first_run = emulator.requests().len();

    // The second run rotates a value and drops nothing: the list sent replaces the old whole.
    let mut rotated = SECRETS;
    rotated[2].1 = "backend-secret-rotated-Yt5";
    let secrets = scratch.secrets_file(&rotated);
    let artifact = scratch.path(&format!("{ACTION}.js"));
    let run = deploy(
        &emulator,
        &[
            example(ACTION).to_str().unwrap(),
            "--secrets-file",
            &secrets,
            "--artifact",
            &artifact,
        ],
    );
    assert!(run.success, "{}", run.stderr);
    assert!(!run.stderr.contains("backend-secret-rotated-Yt5"));
    let second: Vec<String> = methods_and_paths(&emulator.requests()[first_run..]);
    assert_eq!(
        second,
        [
            "POST /oauth/token 200".to_string(),
            "GET /api/v2/actions/actions 200".into(),
            format!("GET /api/v2/actions/actions/{id} 200"),
            format!("PATCH /api/v2/actions/actions/{id} 200"),
            format!("GET /api/v2/actions/actions/{id} 200"),
            format!("GET /api/v2/actions/actions/{id} 200"),
            format!("GET /api/v2/actions/actions/{id} 200"),
            format!("POST /api/v2/actions/actions/{id}/deploy 200"),
            "GET /api/v2/actions/triggers/post-login/bindings 200".into(),
        ]
    );
    let state = emulator.state();
    assert_eq!(state.actions.iter().filter(|a| a.name == ACTION).count(), 1);
    let ours = state.actions.iter().find(|a| a.name == ACTION).unwrap();
    let mut expected: Vec<(String, String)> = rotated
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    expected.sort();
    assert_eq!(ours.secrets, expected);
    assert_eq!(ours.deployed_versions, 2);
    drop(state);
    assert_eq!(
        emulator.bound_names(),
        [ACTION, "rate-limiter", "geo-block"]
    );
    assert!(
        run.stdout
            .ends_with("bound to post-login at position 1 of 3 (unchanged)\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn nothing_is_sent_again_when_code_runtime_and_secrets_are_unchanged() {
    let emulator = Emulator::start(Config::default());
    let scratch = Scratch::new("unchanged");
    let path = scratch.secretless_crate();
    scratch.artifact("no-secrets", "exports.onExecutePostLogin = async () => {};");
    let artifact = scratch.path("no-secrets.js");
    assert!(deploy(&emulator, &[&path, "--artifact", &artifact]).success);
    let first_run = emulator.requests().len();

    let run = deploy(&emulator, &[&path, "--artifact", &artifact]);
    assert!(run.success, "{}", run.stderr);
    let writes: Vec<_> = emulator.requests()[first_run..]
        .iter()
        .filter(|r| r.method != "GET" && r.path != "/oauth/token")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(writes, Vec::<String>::new());
    assert!(run.stderr.contains("Unchanged"), "{}", run.stderr);

    // New code is a change again.
    scratch.artifact(
        "no-secrets",
        "exports.onExecutePostLogin = async () => { /* v2 */ };",
    );
    let before = emulator.requests().len();
    assert!(deploy(&emulator, &[&path, "--artifact", &artifact]).success);
    let writes: Vec<String> = emulator.requests()[before..]
        .iter()
        .filter(|r| r.method != "GET" && r.path != "/oauth/token")
        .map(|r| r.method.clone())
        .collect();
    assert_eq!(writes, ["PATCH", "POST"]);
    assert_eq!(
        emulator
            .action_named("no-secrets")
            .unwrap()
            .deployed_versions,
        2
    );
    assert_eq!(
        emulator.bound_names(),
        ["rate-limiter", "geo-block", "no-secrets"]
    );
}

#[test]
fn a_failed_build_ends_with_auth0s_errors_and_deploys_nothing() {
    let emulator = Emulator::start(Config {
        fail_build: Some(vec![(
            "build_error".into(),
            "Cannot find module 'zlib' in /data/action.js".into(),
        )]),
        ..Config::default()
    });
    let scratch = Scratch::new("failed");
    scratch.artifact(ACTION, "exports.onExecutePostLogin = async () => {};");
    let run = deploy_example(&emulator, &scratch, &[]);
    assert!(!run.success);
    let id = emulator.action_named(ACTION).unwrap().id;
    assert!(
        run.stderr.ends_with(&format!(
            "error: Auth0 failed to build enrich-from-backend ({id}); the draft is not \
             deployed. Auth0 says:\n  build_error: Cannot find module 'zlib' in /data/action.js\n"
        )),
        "{}",
        run.stderr
    );
    let requests = emulator.requests();
    assert!(!requests.iter().any(|r| r.path.ends_with("/deploy")));
    assert!(!requests
        .iter()
        .any(|r| r.is("PATCH", "/api/v2/actions/triggers")));
    assert_eq!(run.stdout, "");
}

#[test]
fn rate_limited_requests_are_retried_after_retry_after() {
    let emulator = Emulator::start(Config {
        throttle: 2,
        ..Config::default()
    });
    let scratch = Scratch::new("throttled");
    scratch.artifact(ACTION, "exports.onExecutePostLogin = async () => {};");
    let run = deploy_example(&emulator, &scratch, &[]);
    assert!(run.success, "{}", run.stderr);
    let statuses: Vec<u16> = emulator.requests().iter().map(|r| r.status).collect();
    assert_eq!(&statuses[..4], [200, 429, 429, 200]);
    assert!(
        run.stderr.contains(
            "Waiting 1 s: GET /api/v2/actions/actions was rate limited (HTTP 429), retry 1 of 5"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(emulator.bound_names().last().unwrap(), ACTION);
}

#[test]
fn a_secret_without_a_value_stops_deploy_before_any_request() {
    let emulator = Emulator::start(Config::default());
    let scratch = Scratch::new("missing");
    scratch.artifact(ACTION, "exports.onExecutePostLogin = async () => {};");
    let secrets = scratch.secrets_file(&SECRETS[..2]);
    let artifact = scratch.path(&format!("{ACTION}.js"));
    let run = deploy(
        &emulator,
        &[
            example(ACTION).to_str().unwrap(),
            "--secrets-file",
            &secrets,
            "--secret",
            &format!("audience={}", SECRETS[3].1),
            // Blank: the Action would treat it as missing at every login.
            "--secret",
            "backend_url=  ",
            "--artifact",
            &artifact,
        ],
    );
    assert!(!run.success);
    assert_eq!(
        run.stderr,
        "error: enrich-from-backend reads secrets that were given no value (or a blank one): \
         client_secret, backend_url. Give each with --secret NAME=VALUE or in --secrets-file FILE\n"
    );
    assert!(emulator.requests().is_empty());
}

#[test]
fn a_dry_run_reads_the_tenant_and_changes_nothing() {
    let emulator = Emulator::start(Config::default());
    let scratch = Scratch::new("dry");
    let code = scratch.artifact(ACTION, "exports.onExecutePostLogin = async () => {};");
    let run = deploy_example(&emulator, &scratch, &["--dry-run", "--runtime", "node18"]);
    assert!(run.success, "{}", run.stderr);
    let requests = emulator.requests();
    assert!(requests
        .iter()
        .all(|r| r.method == "GET" || r.path == "/oauth/token"));
    assert!(emulator.action_named(ACTION).is_none());
    assert_eq!(emulator.bound_names(), ["rate-limiter", "geo-block"]);
    let sha: String = Sha256::digest(code.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        run.stdout,
        format!(
            "Deploy plan for {ACTION} on {} (dry run: nothing was changed)\n\
             \x20 action:   create (the tenant has no Action named {ACTION})\n\
             \x20 code:     {} bytes, sha256 {sha}\n\
             \x20 runtime:  node18\n\
             \x20 trigger:  post-login v3\n\
             \x20 secrets:  audience, auth0_domain, backend_url, client_id, client_secret \
             (values not shown)\n\
             \x20 binding:  append at position 3 of post-login, after rate-limiter, geo-block\n",
            emulator.origin,
            code.len()
        )
    );
}

#[test]
fn no_bind_leaves_the_bindings_alone() {
    let emulator = Emulator::start(Config::default());
    let scratch = Scratch::new("nobind");
    scratch.artifact(ACTION, "exports.onExecutePostLogin = async () => {};");
    let run = deploy_example(&emulator, &scratch, &["--no-bind"]);
    assert!(run.success, "{}", run.stderr);
    assert!(!emulator
        .requests()
        .iter()
        .any(|r| r.path.contains("/triggers/")));
    assert_eq!(emulator.bound_names(), ["rate-limiter", "geo-block"]);
    assert_eq!(emulator.action_named(ACTION).unwrap().deployed_versions, 1);
    assert!(
        run.stdout.ends_with("; not bound (--no-bind)\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_build_that_never_ends_times_out_without_deploying() {
    let emulator = Emulator::start(Config {
        never_built: true,
        ..Config::default()
    });
    let scratch = Scratch::new("timeout");
    scratch.artifact(ACTION, "exports.onExecutePostLogin = async () => {};");
    let run = deploy_example(&emulator, &scratch, &["--build-timeout", "1"]);
    assert!(!run.success);
    let id = emulator.action_named(ACTION).unwrap().id;
    assert!(
        run.stderr.contains(&format!(
            "error: Auth0 did not finish building enrich-from-backend ({id}) within 1 s \
             (last status: building); nothing was deployed."
        )),
        "{}",
        run.stderr
    );
    assert!(!emulator
        .requests()
        .iter()
        .any(|r| r.path.ends_with("/deploy")));
}

#[test]
fn bad_credentials_fail_with_auth0s_error_code_and_no_secret() {
    let emulator = Emulator::start(Config::default());
    let scratch = Scratch::new("badcreds");
    scratch.artifact(ACTION, "exports.onExecutePostLogin = async () => {};");
    let secrets = scratch.secrets_file(&SECRETS);
    let artifact = scratch.path(&format!("{ACTION}.js"));
    let example = example(ACTION);
    let args = [
        "deploy",
        example.to_str().unwrap(),
        "--secrets-file",
        &secrets,
        "--artifact",
        &artifact,
    ];
    let wrong = "wrong-client-secret-Mn3";
    let run = postlogin(
        &[
            ("AUTH0_DOMAIN", &emulator.origin),
            ("AUTH0_CLIENT_ID", CLIENT_ID),
            ("AUTH0_CLIENT_SECRET", wrong),
        ],
        &args,
    );
    assert!(!run.success);
    assert!(
        run.stderr.lines().last().unwrap().starts_with(&format!(
            "error: Auth0 ({}): POST /oauth/token answered HTTP 401 (access_denied): \
             Unauthorized; check AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET",
            emulator.origin
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(wrong));
    assert_no_leak(&run, &emulator);

    // A closed port: the connection is refused.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let run = postlogin(
        &[
            ("AUTH0_DOMAIN", &closed),
            ("AUTH0_CLIENT_ID", CLIENT_ID),
            ("AUTH0_CLIENT_SECRET", CLIENT_SECRET),
        ],
        &args,
    );
    assert!(!run.success);
    assert_eq!(
        run.stderr.lines().last().unwrap(),
        format!("error: Auth0 ({closed}): POST /oauth/token: connection refused")
    );

    // Plain http beyond loopback is refused before any request; so is a missing variable.
    let run = postlogin(
        &[
            ("AUTH0_DOMAIN", "http://tenant.example.com"),
            ("AUTH0_CLIENT_ID", CLIENT_ID),
            ("AUTH0_CLIENT_SECRET", CLIENT_SECRET),
        ],
        &args,
    );
    assert_eq!(
        run.stderr.lines().last().unwrap(),
        "error: AUTH0_DOMAIN: `http://tenant.example.com` is plain http to a host other than \
         loopback; use https"
    );
    let run = postlogin(&[("AUTH0_DOMAIN", &emulator.origin)], &args);
    assert!(
        run.stderr.starts_with("error: AUTH0_CLIENT_ID is not set"),
        "{}",
        run.stderr
    );
    assert_eq!(
        emulator.requests().len(),
        1,
        "only the refused token request"
    );
}

#[test]
fn an_answer_that_is_not_json_is_a_clear_error() {
    let emulator = Emulator::start(Config {
        broken_list: true,
        ..Config::default()
    });
    let scratch = Scratch::new("badjson");
    scratch.artifact(ACTION, "exports.onExecutePostLogin = async () => {};");
    let run = deploy_example(&emulator, &scratch, &[]);
    assert!(!run.success);
    assert_eq!(
        run.stderr.lines().last().unwrap(),
        format!(
            "error: Auth0 ({}): GET /api/v2/actions/actions answered HTTP 200 with a body that \
             is not JSON (line 1, column 1)",
            emulator.origin
        )
    );
}

#[test]
fn an_artifact_from_another_crate_is_refused() {
    let emulator = Emulator::start(Config::default());
    let scratch = Scratch::new("foreign");
    scratch.artifact(
        "fault-injection",
        "exports.onExecutePostLogin = async () => {};",
    );
    let secrets = scratch.secrets_file(&SECRETS);
    let artifact = scratch.path("fault-injection.js");
    let run = deploy(
        &emulator,
        &[
            example(ACTION).to_str().unwrap(),
            "--secrets-file",
            &secrets,
            "--artifact",
            &artifact,
        ],
    );
    assert!(!run.success);
    assert!(
        run.stderr
            .contains("was not built by `postlogin build` from enrich-from-backend"),
        "{}",
        run.stderr
    );
    assert!(emulator.requests().is_empty());
}

/// The whole path with a real build (wasm-pack and the tools from scripts/setup.sh):
/// `scripts/test.sh` runs it.
#[test]
#[ignore = "builds the example with wasm-pack; scripts/test.sh runs it with --include-ignored"]
fn deploy_builds_the_example_and_uploads_exactly_the_built_file() {
    let emulator = Emulator::start(Config::default());
    let scratch = Scratch::new("real-build");
    let secrets = scratch.secrets_file(&SECRETS);
    let run = deploy(
        &emulator,
        &[
            example(ACTION).to_str().unwrap(),
            "--secrets-file",
            &secrets,
        ],
    );
    assert!(run.success, "{}", run.stderr);
    let built = run.built_file();
    let code = std::fs::read_to_string(built).unwrap();
    assert!(code.starts_with(&format!("/*! {ACTION} {VERSION}:")));
    let uploaded = emulator.action_named(ACTION).unwrap().code;
    assert_eq!(uploaded, code);
    assert_eq!(
        emulator.bound_names(),
        ["rate-limiter", "geo-block", ACTION]
    );
}
