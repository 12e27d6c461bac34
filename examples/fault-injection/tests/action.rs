//! The faults behave as the node suites expect them to, natively.

use std::time::Duration;

use fault_injection::{on_execute_post_login, CLAIM};
use postlogin::testing::Harness;
use postlogin::{json, Command, Method, Response, Value};

fn event(fault: Option<&str>) -> Value {
    let metadata = fault.map_or(json!({}), |fault| json!({ "fault": fault }));
    json!({"user": {"user_id": "u", "app_metadata": metadata}})
}

#[test]
fn without_a_fault_it_sets_its_claim() {
    let run = Harness::new().run(event(None), on_execute_post_login);
    assert!(run.result.is_ok());
    assert_eq!(
        run.commands,
        [Command::new(
            "accessToken.setCustomClaim",
            vec![CLAIM.into(), json!("none")]
        )]
    );
}

#[test]
#[should_panic(expected = "injected panic")]
fn it_panics_on_request() {
    Harness::new().run(event(Some("panic")), on_execute_post_login);
}

#[test]
#[should_panic(expected = "injected panic after an await")]
fn it_panics_after_the_probe_answers() {
    Harness::new()
        .secret("probe_url", "http://127.0.0.1:9/probe")
        .route(Method::Get, "http://127.0.0.1:9/probe", |_| {
            Response::new(204, "")
        })
        .run(event(Some("panic-after-await")), on_execute_post_login);
}

#[test]
fn its_slow_probe_allows_longer_than_the_budget() {
    let run = Harness::new()
        .secret("probe_url", "http://127.0.0.1:9/hang")
        .route(Method::Get, "http://127.0.0.1:9/hang", |_| {
            Response::new(204, "")
        })
        .run(event(Some("slow-probe")), on_execute_post_login);
    assert!(run.result.is_ok());
    assert!(run.commands.is_empty());
    let [probe] = run.requests.as_slice() else {
        panic!("{:?}", run.requests)
    };
    // The policy's budget is 1 s: the shim must cut this wait short.
    assert_eq!(probe.timeout_duration(), Some(Duration::from_secs(5)));
}

#[test]
#[should_panic(expected = "the Action awaited something that is not ready")]
fn it_hangs_on_request() {
    Harness::new().run(event(Some("hang")), on_execute_post_login);
}

#[test]
fn an_unknown_fault_is_an_error() {
    let run = Harness::new().run(event(Some("fire")), on_execute_post_login);
    assert_eq!(run.failure().as_deref(), Some("unknown fault fire"));
}

#[test]
fn claims_auth0_would_drop_or_choke_on_are_errors() {
    let run = Harness::new().run(event(Some("reserved-claim")), on_execute_post_login);
    assert!(run
        .failure()
        .unwrap()
        .starts_with("claim `roles` is reserved"));
    let run = Harness::new().run(event(Some("huge-claim")), on_execute_post_login);
    assert!(run
        .failure()
        .unwrap()
        .starts_with("custom claims on the ID token would be 120"));
}

#[test]
fn its_race_keeps_the_first_answer_then_asks_once_more() {
    let probe = |path: &str| format!("http://127.0.0.1:9/probe/{path}");
    let mut harness = Harness::new().secret("probe_url", "http://127.0.0.1:9/probe");
    for path in ["fast", "slow", "slower"] {
        harness = harness.route(Method::Get, &probe(path), |_| Response::new(204, ""));
    }
    let run = harness.run(event(Some("race")), on_execute_post_login);
    assert!(run.result.is_ok(), "{run:?}");
    let asked: Vec<String> = run
        .requests
        .iter()
        .map(|request| request.url().to_owned())
        .collect();
    // Natively a request answers as it is sent: the first wins before the other is polled.
    // (In WebAssembly both are parked, and the shim's node tests check that the loser's
    // answer, arriving later, is not kept.)
    assert_eq!(asked, [probe("fast"), probe("slower")]);
    assert_eq!(
        run.commands,
        [Command::new(
            "accessToken.setCustomClaim",
            vec![CLAIM.into(), json!("none")]
        )]
    );
}
