//! The value-answering methods of Auth0's `api` (`redirect.canRedirect`, `encodeToken`,
//! `validateToken`), emulated for native tests as Auth0 documents them (AUTH0.md §4): the
//! harness's host answers [`Host::call`](crate::host::Host::call) from here, with real HS256
//! tokens, so a test can play the external site of a redirect end to end.
//!
//! Errors are what Auth0's `api` would throw, as fixed texts: never a token or a secret.

use serde_json::{Map, Value};

use super::jwt;
use crate::event::Event;

/// Protocols where the login happens at the token endpoint, with no browser to redirect (the
/// runtime emulator's list, action-shim/lib/redirect.js).
const NON_INTERACTIVE_PROTOCOLS: &[&str] = &[
    "oauth2-resource-owner",
    "oauth2-resource-owner-jwt-bearer",
    "oauth2-password",
    "oauth2-refresh-token",
    "oauth2-token-exchange",
    "oauth2-access-token",
    "oauth2-client-credentials",
    "wstrust-usernamemixed",
];
/// `encodeToken`'s default lifetime.
const DEFAULT_EXPIRES_IN_SECONDS: u64 = 900;
/// `validateToken`'s default parameter.
const DEFAULT_TOKEN_PARAMETER: &str = "session_token";

/// Answers `api.<api>(...args)` for a login on `event` at `now_ms`.
pub(crate) fn call(
    event: &Event,
    now_ms: f64,
    api: &str,
    args: Vec<Value>,
) -> Result<Value, String> {
    let options = args.into_iter().next().unwrap_or(Value::Null);
    match api {
        "redirect.canRedirect" => Ok(Value::Bool(can_redirect(event))),
        "redirect.encodeToken" => encode_token(event, now_secs(now_ms), &options),
        "redirect.validateToken" => validate_token(event, now_secs(now_ms), &options),
        _ => Err(format!("api.{api} is not a function")),
    }
}

fn now_secs(now_ms: f64) -> u64 {
    (now_ms / 1000.0) as u64
}

/// Auth0 cannot redirect a login that has no browser (refresh token, password grant…) nor a
/// silent one (`prompt=none`, in the transaction or in the authorize request's query).
fn can_redirect(event: &Event) -> bool {
    let transaction = event.transaction.as_ref();
    let non_interactive = transaction
        .and_then(|transaction| transaction.protocol.as_deref())
        .is_some_and(|protocol| NON_INTERACTIVE_PROTOCOLS.contains(&protocol));
    let silent = transaction
        .is_some_and(|transaction| transaction.prompt.iter().any(|p| p == "none"))
        || event
            .request
            .as_ref()
            .and_then(|request| request.query.get("prompt")?.as_str())
            .is_some_and(|prompt| prompt.split_whitespace().any(|p| p == "none"));
    !(non_interactive || silent)
}

fn secret_of(options: &Value, method: &str) -> Result<String, String> {
    match options.get("secret").and_then(Value::as_str) {
        Some(secret) if !secret.is_empty() => Ok(secret.to_owned()),
        _ => Err(format!(
            "{method}: options.secret must be a non-empty string"
        )),
    }
}

/// `{secret, expiresInSeconds = 900, payload}` → a JWT with `iss` (the request's host name) and
/// `sub` (the user) unless the payload sets them, the payload's members, `iat` and `exp`.
fn encode_token(event: &Event, now: u64, options: &Value) -> Result<Value, String> {
    let secret = secret_of(options, "encodeToken")?;
    let Some(Value::Object(payload)) = options.get("payload") else {
        return Err("encodeToken: options.payload must be an object".into());
    };
    let expires_in = match options.get("expiresInSeconds") {
        None | Some(Value::Null) => DEFAULT_EXPIRES_IN_SECONDS,
        Some(value) => value
            .as_u64()
            .filter(|seconds| *seconds > 0)
            .ok_or("encodeToken: options.expiresInSeconds must be a positive whole number")?,
    };
    let mut claims = Map::new();
    let host = event
        .request
        .as_ref()
        .and_then(|request| request.hostname.as_deref());
    if let Some(host) = host {
        claims.insert("iss".into(), host.into());
    }
    claims.insert("sub".into(), event.user.user_id.as_str().into());
    claims.extend(payload.clone());
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), (now + expires_in).into());
    Ok(Value::String(jwt::sign(&secret, &claims)))
}

/// `{secret, tokenParameterName = "session_token"}` → the claims of the token the external
/// site sent back to `/continue` (in a form body or the query), once its signature, its
/// standard claims, its expiry, its subject (the user logging in) and its `state` (the one
/// `/continue` was called with) check out.
fn validate_token(event: &Event, now: u64, options: &Value) -> Result<Value, String> {
    let secret = secret_of(options, "validateToken")?;
    let parameter = match options.get("tokenParameterName") {
        None | Some(Value::Null) => DEFAULT_TOKEN_PARAMETER,
        Some(Value::String(name)) if !name.is_empty() => name.as_str(),
        Some(_) => {
            return Err(
                "validateToken: options.tokenParameterName must be a non-empty string".into(),
            )
        }
    };
    let token = request_parameter(event, parameter).ok_or_else(|| {
        format!("The session token is missing: no {parameter} parameter in the /continue request")
    })?;
    let invalid = |why: &str| format!("The session token is invalid: {why}");
    let claims = jwt::verify(&secret, token).map_err(invalid)?;
    let number = |name: &str| claims.get(name).and_then(Value::as_u64);
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
    };
    let (Some(_), Some(exp), Some(sub), Some(_), Some(state)) = (
        number("iat"),
        number("exp"),
        text("sub"),
        text("iss"),
        text("state"),
    ) else {
        return Err(invalid("missing or invalid standard claims"));
    };
    if exp <= now {
        return Err(invalid("the token has expired"));
    }
    if sub != event.user.user_id {
        return Err(invalid("the subject is not the user logging in"));
    }
    if Some(state) != request_parameter(event, "state") {
        return Err(invalid(
            "the state is not the one /continue was called with",
        ));
    }
    Ok(Value::Object(claims))
}

/// A string parameter of the request to `/continue`: the form body first, then the query.
fn request_parameter<'a>(event: &'a Event, name: &str) -> Option<&'a str> {
    let request = event.request.as_ref()?;
    [&request.body, &request.query]
        .into_iter()
        .filter_map(Value::as_object)
        .find_map(|members: &Map<String, Value>| members.get(name)?.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "form-secret-0123456789";
    const NOW_MS: f64 = 1_767_225_600_000.0;
    const NOW: u64 = 1_767_225_600;

    fn event(value: Value) -> Event {
        Event::from_json(value).unwrap()
    }

    fn continued(query: Value) -> Event {
        event(json!({"user": {"user_id": "auth0|1"}, "request": {"query": query}}))
    }

    /// What the external site sends back: the standard claims, overridden by `extra`.
    fn answer(secret: &str, extra: Value) -> String {
        let mut claims = json!({"iss": "form.example", "sub": "auth0|1", "iat": NOW, "exp": NOW + 30, "state": "st-1"})
            .as_object()
            .cloned()
            .unwrap();
        for (name, value) in extra.as_object().unwrap() {
            if value.is_null() {
                claims.remove(name);
            } else {
                claims.insert(name.clone(), value.clone());
            }
        }
        jwt::sign(secret, &claims)
    }

    fn validate(event: &Event, options: Value) -> Result<Value, String> {
        call(event, NOW_MS, "redirect.validateToken", vec![options])
    }

    #[test]
    fn redirects_need_an_interactive_login() {
        let can = |extra: Value| {
            let mut value = json!({"user": {"user_id": "u"}});
            value
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            call(&event(value), NOW_MS, "redirect.canRedirect", vec![])
        };
        assert_eq!(
            can(json!({"transaction": {"protocol": "oidc-basic-profile"}})),
            Ok(json!(true))
        );
        assert_eq!(can(json!({})), Ok(json!(true)));
        for protocol in [
            "oauth2-refresh-token",
            "oauth2-password",
            "oauth2-client-credentials",
        ] {
            assert_eq!(
                can(json!({"transaction": {"protocol": protocol}})),
                Ok(json!(false)),
                "{protocol}"
            );
        }
        assert_eq!(
            can(json!({"transaction": {"protocol": "oidc-basic-profile", "prompt": ["none"]}})),
            Ok(json!(false))
        );
        assert_eq!(
            can(json!({"request": {"query": {"prompt": "login none"}}})),
            Ok(json!(false))
        );
        assert_eq!(
            can(json!({"request": {"query": {"prompt": "login"}}})),
            Ok(json!(true))
        );
    }

    #[test]
    fn encoded_tokens_carry_the_payload_the_user_and_an_expiry() {
        let event = event(json!({
            "user": {"user_id": "auth0|1"},
            "request": {"hostname": "login.example.com"},
        }));
        let options =
            json!({"secret": SECRET, "expiresInSeconds": 60, "payload": {"ask": "color"}});
        let token = call(&event, NOW_MS, "redirect.encodeToken", vec![options]).unwrap();
        let claims = jwt::verify(SECRET, token.as_str().unwrap()).unwrap();
        assert_eq!(
            Value::Object(claims),
            json!({"ask": "color", "sub": "auth0|1", "iss": "login.example.com",
                   "iat": NOW, "exp": NOW + 60})
        );
        // The payload may name the subject and issuer; the times are always Auth0's.
        let options = json!({"secret": SECRET, "payload": {"sub": "other", "exp": 1}});
        let token = call(&event, NOW_MS, "redirect.encodeToken", vec![options]).unwrap();
        let claims = jwt::verify(SECRET, token.as_str().unwrap()).unwrap();
        assert_eq!(
            (&claims["sub"], &claims["exp"]),
            (&json!("other"), &json!(NOW + 900))
        );
    }

    #[test]
    fn encoding_refuses_bad_options_without_quoting_them() {
        let event = continued(json!({}));
        for (options, expected) in [
            (
                json!({"payload": {}}),
                "encodeToken: options.secret must be a non-empty string",
            ),
            (
                json!({"secret": "", "payload": {}}),
                "encodeToken: options.secret must be a non-empty string",
            ),
            (
                json!({"secret": SECRET}),
                "encodeToken: options.payload must be an object",
            ),
            (
                json!({"secret": SECRET, "payload": {}, "expiresInSeconds": -5}),
                "encodeToken: options.expiresInSeconds must be a positive whole number",
            ),
        ] {
            assert_eq!(
                call(&event, NOW_MS, "redirect.encodeToken", vec![options]),
                Err(expected.to_owned())
            );
        }
    }

    #[test]
    fn a_token_sent_back_with_its_state_validates() {
        let token = answer(SECRET, json!({"color": "blue"}));
        let login = continued(json!({"state": "st-1", "session_token": token}));
        let claims = validate(&login, json!({"secret": SECRET})).unwrap();
        assert_eq!(claims["color"], "blue");
        // A form POST carries it in the body, under the name the Action chose.
        let login = event(json!({
            "user": {"user_id": "auth0|1"},
            "request": {"method": "POST", "query": {"state": "st-1"}, "body": {"answer": token}},
        }));
        let options = json!({"secret": SECRET, "tokenParameterName": "answer"});
        assert_eq!(validate(&login, options), Ok(claims));
    }

    #[test]
    fn forged_expired_or_misdirected_tokens_are_refused_without_quoting_them() {
        let invalid = "The session token is invalid: ";
        let cases = [
            (
                json!({"state": "st-1"}),
                "The session token is missing: no session_token parameter in the /continue request"
                    .to_owned(),
            ),
            (
                json!({"state": "st-1", "session_token": answer("another-secret", json!({}))}),
                format!("{invalid}the token's signature is not valid"),
            ),
            (
                json!({"state": "st-1", "session_token": answer(SECRET, json!({"exp": NOW}))}),
                format!("{invalid}the token has expired"),
            ),
            (
                json!({"state": "st-1", "session_token": answer(SECRET, json!({"iss": null}))}),
                format!("{invalid}missing or invalid standard claims"),
            ),
            (
                json!({"state": "st-1", "session_token": answer(SECRET, json!({"sub": "auth0|2"}))}),
                format!("{invalid}the subject is not the user logging in"),
            ),
            (
                json!({"state": "st-2", "session_token": answer(SECRET, json!({}))}),
                format!("{invalid}the state is not the one /continue was called with"),
            ),
            (
                json!({"session_token": answer(SECRET, json!({}))}),
                format!("{invalid}the state is not the one /continue was called with"),
            ),
            (
                json!({"state": "st-1", "session_token": "x.y"}),
                format!("{invalid}the token is not a JWT"),
            ),
        ];
        for (query, expected) in cases {
            let result = validate(&continued(query), json!({"secret": SECRET}));
            assert_eq!(result, Err(expected.clone()));
            assert!(!expected.contains(SECRET) && !expected.contains("eyJ"));
        }
    }

    #[test]
    fn unknown_methods_throw_like_javascript() {
        assert_eq!(
            call(&continued(json!({})), NOW_MS, "redirect.teleport", vec![]),
            Err("api.redirect.teleport is not a function".to_owned())
        );
    }
}
