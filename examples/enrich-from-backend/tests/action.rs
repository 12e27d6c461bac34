//! The Action's every path, natively, through the harness: no Node, no wasm.

use enrich_from_backend::{on_execute_post_login, CLAIM};
use postlogin::http::TransportFailure;
use postlogin::testing::{Harness, Run};
use postlogin::{json, Command, Method, Response, Value};

const DOMAIN: &str = "http://127.0.0.1:4321";
const TOKEN_URL: &str = "http://127.0.0.1:4321/oauth/token";
const BACKEND: &str = "https://backend.example";
const CLIENT_SECRET: &str = "CS-very-secret-7f3a";
const ACCESS_TOKEN: &str = "AT-issued-token-91bc";

const SECRETS: [(&str, &str); 5] = [
    ("auth0_domain", DOMAIN),
    ("client_id", "client-123"),
    ("client_secret", CLIENT_SECRET),
    ("audience", "http://PostLoginApi"),
    ("backend_url", BACKEND),
];

fn user(email: &str) -> Value {
    json!({"user": {"user_id": "auth0|1", "email": email, "email_verified": true}})
}

fn configured() -> Harness {
    SECRETS
        .iter()
        .fold(Harness::new(), |harness, (name, value)| {
            harness.secret(name, value)
        })
}

fn token_ok() -> Response {
    Response::json_body(
        200,
        &json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 86400}),
    )
}

fn backend_url(encoded_email: &str) -> String {
    format!("{BACKEND}/api/users/{encoded_email}")
}

/// A run whose token endpoint works and whose backend answers `answer` for alice.
fn run_with_backend(answer: Response) -> Run {
    configured()
        .route(Method::Post, TOKEN_URL, |_| token_ok())
        .route(
            Method::Get,
            &backend_url("alice%40example.com"),
            move |_| answer.clone(),
        )
        .run(user("alice@example.com"), on_execute_post_login)
}

fn assert_denied(run: &Run, expected: &str) {
    assert_eq!(run.failure().as_deref(), Some(expected), "{run:?}");
    assert_eq!(
        run.outcome().commands,
        [],
        "a failed Action applies no command"
    );
    let failure = run.failure().unwrap_or_default();
    assert!(!failure.contains(CLIENT_SECRET) && !failure.contains(ACCESS_TOKEN));
}

#[test]
fn sets_the_backend_answer_on_both_tokens() {
    let answer = json!({"plan": "pro", "seats": [1, 2], "nested": {"ok": true}});
    let run = run_with_backend(Response::json_body(200, &answer));

    assert!(run.result.is_ok(), "{:?}", run.result);
    assert_eq!(
        run.commands,
        [
            Command::new(
                "accessToken.setCustomClaim",
                vec![CLAIM.into(), answer.clone()]
            ),
            Command::new("idToken.setCustomClaim", vec![CLAIM.into(), answer]),
        ]
    );

    let [token_request, backend_request] = run.requests.as_slice() else {
        panic!("expected two requests, got {:?}", run.requests);
    };
    assert_eq!(token_request.method(), Method::Post);
    assert_eq!(
        token_request.header_value("content-type"),
        Some("application/json")
    );
    let body: Value = postlogin::serde_json::from_str(token_request.body().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({
            "grant_type": "client_credentials",
            "client_id": "client-123",
            "client_secret": CLIENT_SECRET,
            "audience": "http://PostLoginApi",
        })
    );
    assert_eq!(backend_request.method(), Method::Get);
    assert_eq!(
        backend_request.header_value("authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    assert_eq!(backend_request.body(), None);
}

#[test]
fn any_json_answer_becomes_the_claim() {
    for answer in [json!([1, "two"]), json!("text"), json!(42), json!(null)] {
        let run = run_with_backend(Response::json_body(200, &answer));
        assert_eq!(run.access_token_claim(CLAIM), Some(&answer));
        assert_eq!(run.id_token_claim(CLAIM), Some(&answer));
    }
}

#[test]
fn the_email_is_one_percent_encoded_path_segment() {
    let cases = [
        ("alice@example.com", "alice%40example.com"),
        ("a+tag@example.com", "a%2Btag%40example.com"),
        ("a/b@example.com", "a%2Fb%40example.com"),
        ("what?@example.com", "what%3F%40example.com"),
        ("hash#tag@example.com", "hash%23tag%40example.com"),
        ("100%real@example.com", "100%25real%40example.com"),
        ("\"quoted\"@example.com", "%22quoted%22%40example.com"),
        ("o'brien@example.com", "o%27brien%40example.com"),
        ("with space@example.com", "with%20space%40example.com"),
        ("jürgen@bücher.de", "j%C3%BCrgen%40b%C3%BCcher.de"),
        (
            "用户@例子.公司",
            "%E7%94%A8%E6%88%B7%40%E4%BE%8B%E5%AD%90.%E5%85%AC%E5%8F%B8",
        ),
    ];
    for (email, encoded) in cases {
        let run = configured()
            .route(Method::Post, TOKEN_URL, |_| token_ok())
            .route(Method::Get, &backend_url(encoded), |_| {
                Response::json_body(200, &json!({"found": true}))
            })
            .run(user(email), on_execute_post_login);
        assert!(run.result.is_ok(), "{email}: {:?}", run.result);
        assert_eq!(run.requests[1].url(), backend_url(encoded), "{email}");
    }
}

#[test]
fn users_without_a_verified_email_get_no_call_and_no_claim() {
    for user in [
        json!({"user_id": "sms|1", "phone_number": "+15551234"}),
        json!({"user_id": "auth0|1", "email": "a@example.com", "email_verified": false}),
        json!({"user_id": "auth0|1", "email": "a@example.com"}),
        json!({"user_id": "auth0|1", "email": "", "email_verified": true}),
    ] {
        let run = configured().run(json!({ "user": user }), on_execute_post_login);
        assert!(run.result.is_ok(), "{user}: {:?}", run.result);
        assert_eq!(run.commands, [], "{user}");
        assert_eq!(run.requests.len(), 0, "{user}");
    }
}

#[test]
fn an_unknown_user_at_the_backend_means_no_claims() {
    let run = run_with_backend(Response::new(404, "Not Found"));
    assert!(run.result.is_ok(), "{:?}", run.result);
    assert_eq!(run.commands, []);
    assert_eq!(run.requests.len(), 2);
}

#[test]
fn token_endpoint_errors_deny_without_calling_the_backend() {
    let cases = [
        (
            Response::json_body(
                401,
                &json!({"error": "invalid_client", "error_description": "Unauthorized"}),
            ),
            "token endpoint answered HTTP 401 (invalid_client)",
        ),
        (
            Response::json_body(403, &json!({"error": "access_denied"})),
            "token endpoint answered HTTP 403 (access_denied)",
        ),
        (
            Response::new(500, "oops"),
            "token endpoint answered HTTP 500",
        ),
        (
            Response::json_body(200, &json!({"token_type": "Bearer"})),
            "token endpoint sent an unusable answer: no access_token",
        ),
        (
            Response::json_body(200, &json!({"access_token": 12345})),
            "token endpoint sent an unusable answer: no access_token",
        ),
        (
            Response::new(200, "<html>"),
            "token endpoint sent an unusable answer: not JSON",
        ),
    ];
    for (answer, expected) in cases {
        let run = configured()
            .route(Method::Post, TOKEN_URL, move |_| answer.clone())
            .run(user("alice@example.com"), on_execute_post_login);
        assert_denied(&run, expected);
        assert_eq!(run.requests.len(), 1, "{expected}");
    }
}

#[test]
fn backend_errors_deny() {
    let cases = [
        (Response::new(500, "boom"), "backend answered HTTP 500"),
        (Response::new(503, ""), "backend answered HTTP 503"),
        (Response::new(401, ""), "backend answered HTTP 401"),
        (
            Response::new(302, "").with_header("location", "https://elsewhere.example"),
            "backend answered HTTP 302",
        ),
        (
            Response::new(200, "not json"),
            "backend sent an unusable answer: not JSON",
        ),
        (
            Response::new(200, ""),
            "backend sent an unusable answer: not JSON",
        ),
    ];
    for (answer, expected) in cases {
        assert_denied(&run_with_backend(answer), expected);
    }
}

#[test]
fn unreachable_or_slow_services_deny() {
    let run = configured()
        .fail(Method::Post, TOKEN_URL, TransportFailure::Network)
        .run(user("alice@example.com"), on_execute_post_login);
    assert_denied(&run, "token endpoint could not be reached");

    let run = configured()
        .route(Method::Post, TOKEN_URL, |_| token_ok())
        .fail(
            Method::Get,
            &backend_url("alice%40example.com"),
            TransportFailure::Timeout,
        )
        .run(user("alice@example.com"), on_execute_post_login);
    assert_denied(&run, "backend did not answer within 3000 ms");
}

#[test]
fn every_missing_or_empty_secret_is_named() {
    for (missing, _) in SECRETS {
        let harness = SECRETS
            .iter()
            .filter(|(name, _)| *name != missing)
            .fold(Harness::new(), |harness, (name, value)| {
                harness.secret(name, value)
            });
        let run = harness.run(user("alice@example.com"), on_execute_post_login);
        assert_denied(&run, &format!("missing secret {missing}"));
        assert_eq!(run.requests.len(), 0);

        let run = configured()
            .secret(missing, "")
            .run(user("alice@example.com"), on_execute_post_login);
        assert_denied(&run, &format!("secret {missing} is empty"));
    }
}

#[test]
fn a_bare_auth0_domain_means_https() {
    let run = configured()
        .secret("auth0_domain", "tenant.eu.auth0.com")
        .route(
            Method::Post,
            "https://tenant.eu.auth0.com/oauth/token",
            |_| token_ok(),
        )
        .route(Method::Get, &backend_url("alice%40example.com"), |_| {
            Response::json_body(200, &json!({}))
        })
        .run(user("alice@example.com"), on_execute_post_login);
    assert!(run.result.is_ok(), "{:?}", run.result);
}

#[test]
fn unusable_urls_in_secrets_deny_without_echoing_them() {
    let run = configured()
        .secret("backend_url", "backend.example/api")
        .run(user("alice@example.com"), on_execute_post_login);
    assert_denied(
        &run,
        "secret backend_url is not a usable URL: it must start with https:// or http://",
    );
    let run = configured()
        .secret("auth0_domain", "tenant example.com")
        .run(user("alice@example.com"), on_execute_post_login);
    assert_denied(
        &run,
        "secret auth0_domain is not a usable URL: it contains spaces or control characters",
    );
}

#[test]
fn malformed_events_deny_and_name_the_field() {
    let cases = [
        (json!({}), "malformed event: missing field `user`"),
        (
            json!({"user": {"user_id": "u", "email": "a@b.c", "email_verified": "true"}}),
            "malformed event: user.email_verified: expected a boolean, found a string",
        ),
        (
            json!({"user": {"user_id": "u", "email": ["a@b.c"], "email_verified": true}}),
            "malformed event: user.email: expected a string, found an array",
        ),
        (
            json!({"user": null}),
            "malformed event: missing field `user`",
        ),
        (
            json!({"user": "auth0|1"}),
            "malformed event: user: expected an object, found a string",
        ),
    ];
    for (event, expected) in cases {
        let run = configured().run(event, on_execute_post_login);
        assert_denied(&run, expected);
        assert_eq!(run.requests.len(), 0);
    }
}

#[test]
fn members_of_the_user_it_does_not_read_are_not_checked() {
    // The Action reads the verified email alone (`Event::verified_email`), as a JavaScript
    // Action reading `event.user.email` would: no user_id, a number for a name, are not its
    // business.
    let run = configured().run(json!({"user": {}}), on_execute_post_login);
    assert!(run.result.is_ok(), "{run:?}");
    assert_eq!((run.commands.len(), run.requests.len()), (0, 0));
    let odd = json!({"user": {"user_id": 12345, "name": 7, "email": "alice@example.com", "email_verified": true}});
    let run = configured()
        .route(Method::Post, TOKEN_URL, |_| token_ok())
        .route(Method::Get, &backend_url("alice%40example.com"), |_| {
            Response::json_body(200, &json!({"plan": "pro"}))
        })
        .run(odd, on_execute_post_login);
    assert!(run.result.is_ok(), "{run:?}");
    assert_eq!(run.commands.len(), 2, "{run:?}");
}

#[test]
fn a_token_serves_fifty_logins_then_comes_from_api_cache_after_a_cold_start() {
    let harness = configured()
        .route(Method::Post, TOKEN_URL, |_| token_ok())
        .route(Method::Get, &backend_url("alice%40example.com"), |_| {
            Response::json_body(200, &json!({"plan": "pro"}))
        });
    let token_requests = |run: &Run| run.requests.iter().filter(|r| r.url() == TOKEN_URL).count();
    let mut requested = 0;
    for _ in 0..50 {
        let run = harness.run(user("alice@example.com"), on_execute_post_login);
        assert!(run.result.is_ok(), "{:?}", run.result);
        requested += token_requests(&run);
    }
    assert_eq!(requested, 1);

    let cache = harness.cache();
    let (key, record) = cache.iter().next().expect("the token is in api.cache");
    assert!(key.len() <= 64 && record.value.len() <= 4096);
    assert!(!key.contains(CLIENT_SECRET));

    harness.cold_start();
    let run = harness.run(user("alice@example.com"), on_execute_post_login);
    assert_eq!(
        token_requests(&run),
        0,
        "a cold instance finds the token in api.cache"
    );

    harness.advance(86_400_000.0);
    let run = harness.run(user("alice@example.com"), on_execute_post_login);
    assert_eq!(token_requests(&run), 1, "an expired token is replaced");
}

#[test]
fn a_refused_cache_write_costs_a_log_line_not_the_login() {
    let harness = configured()
        .refuse_cache_writes()
        .route(Method::Post, TOKEN_URL, |_| token_ok())
        .route(Method::Get, &backend_url("alice%40example.com"), |_| {
            Response::json_body(200, &json!({}))
        });
    let run = harness.run(user("alice@example.com"), on_execute_post_login);
    assert!(run.result.is_ok(), "{:?}", run.result);
    assert_eq!(
        run.outcome().logs,
        ["token kept in memory only: api.cache refused it (CacheSizeExceeded)"]
    );
    let run = harness.run(user("alice@example.com"), on_execute_post_login);
    assert_eq!(
        run.requests.len(),
        1,
        "the instance's memory still holds the token"
    );
}

#[test]
fn transient_failures_are_retried_once_within_the_budget() {
    let ok = Response::json_body(200, &json!({"plan": "pro"}));
    let unavailable = Response::new(503, "");
    let cases = [
        (vec![unavailable.clone(), ok.clone()], 2, None),
        (
            vec![Response::new(502, ""), Response::new(502, "")],
            2,
            Some("backend answered HTTP 502"),
        ),
        (
            vec![
                Response::new(429, "").with_header("retry-after", "2"),
                ok.clone(),
            ],
            2,
            None,
        ),
        // 30 s of Retry-After does not fit in a 10 s budget: no retry.
        (
            vec![
                unavailable.clone().with_header("retry-after", "30"),
                ok.clone(),
            ],
            1,
            Some("backend answered HTTP 503"),
        ),
        (
            vec![Response::new(500, ""), ok.clone()],
            1,
            Some("backend answered HTTP 500"),
        ),
    ];
    for (replies, backend_requests, failure) in cases {
        let run = configured()
            .route(Method::Post, TOKEN_URL, |_| token_ok())
            .sequence(Method::Get, &backend_url("alice%40example.com"), replies)
            .run(user("alice@example.com"), on_execute_post_login);
        let sent = run
            .requests
            .iter()
            .filter(|r| r.url().starts_with(BACKEND))
            .count();
        assert_eq!(sent, backend_requests, "{failure:?}");
        assert_eq!(run.failure().as_deref(), failure);
    }

    let run = configured()
        .policy(postlogin::Policy {
            retries: 0,
            ..Default::default()
        })
        .route(Method::Post, TOKEN_URL, |_| token_ok())
        .sequence(
            Method::Get,
            &backend_url("alice%40example.com"),
            vec![unavailable, ok],
        )
        .run(user("alice@example.com"), on_execute_post_login);
    assert_denied(&run, "backend answered HTTP 503");
}

#[test]
fn plain_http_beyond_loopback_is_refused_before_any_request() {
    let run = configured()
        .secret("backend_url", "http://backend.example")
        .route(Method::Post, TOKEN_URL, |_| token_ok())
        .run(user("alice@example.com"), on_execute_post_login);
    assert_denied(
        &run,
        "backend URL is plain http:// to a host other than loopback (allow_insecure_http is off)",
    );
    assert!(run
        .requests
        .iter()
        .all(|r| !r.url().starts_with("http://backend")));

    let run = configured()
        .secret("backend_url", "http://backend.example")
        .policy(postlogin::Policy {
            allow_insecure_http: true,
            ..Default::default()
        })
        .route(Method::Post, TOKEN_URL, |_| token_ok())
        .route(
            Method::Get,
            "http://backend.example/api/users/alice%40example.com",
            |_| Response::json_body(200, &json!({})),
        )
        .run(user("alice@example.com"), on_execute_post_login);
    assert!(run.result.is_ok(), "{:?}", run.result);
}

#[test]
fn oversized_answers_are_refused() {
    let huge = format!("\"{}\"", "x".repeat(70_000));
    assert_denied(
        &run_with_backend(Response::new(200, huge)),
        "backend sent an answer over 65536 bytes",
    );
}

#[test]
fn every_failure_message_and_log_is_free_of_secrets_and_tokens() {
    // The backend echoes the bearer token in its error bodies, as real ones sometimes do.
    let echo = |request: &postlogin::Request| {
        Response::new(
            500,
            format!("bad {:?}", request.header_value("authorization")),
        )
    };
    let runs = [
        run_with_backend(Response::new(500, format!("token {ACCESS_TOKEN}"))),
        run_with_backend(Response::new(200, format!("{{\"x\": \"{ACCESS_TOKEN}\""))),
        configured()
            .route(Method::Post, TOKEN_URL, |_| {
                Response::new(401, format!("{{\"error\":\"{CLIENT_SECRET}\"}}"))
            })
            .run(user("alice@example.com"), on_execute_post_login),
        configured()
            .route(Method::Post, TOKEN_URL, |_| token_ok())
            .route(Method::Get, &backend_url("alice%40example.com"), echo)
            .run(user("alice@example.com"), on_execute_post_login),
        configured()
            .refuse_cache_writes()
            .route(Method::Post, TOKEN_URL, |_| token_ok())
            .route(Method::Get, &backend_url("alice%40example.com"), |_| {
                Response::new(404, "")
            })
            .run(user("alice@example.com"), on_execute_post_login),
    ];
    for run in &runs {
        let outcome = run.outcome();
        let printed = format!(
            "{:?} {:?} {:?} {run:?}",
            outcome.failure, outcome.logs, outcome.commands
        );
        assert!(!printed.contains(CLIENT_SECRET), "{printed}");
        assert!(!printed.contains(ACCESS_TOKEN), "{printed}");
    }
}
