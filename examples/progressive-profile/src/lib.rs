//! Progressive profiling: a user whose `user_metadata` has no `favorite_color` is sent to a form
//! once, and the answer the form sends back is stored in their user metadata.
//!
//! 1. `on_execute_post_login`: if the color is unknown and the login can redirect, sign a token
//!    for the form (who is asking, for how long) and send the user to `form_url` with it.
//! 2. The form (your site, sharing `form_secret`) checks that token, asks, and sends the user to
//!    `https://TENANT/continue?state=…` with its own HS256 token carrying `state` and
//!    `favorite_color`, as parameter `session_token`.
//! 3. `on_continue_post_login`: Auth0 checks that token (signature, expiry, user, state); the
//!    answer goes to `user_metadata.favorite_color`.
//!
//! Secrets: `form_url` (https://… of the form), `form_secret` (shared with the form only).

use postlogin::{Api, Error, Event, Value};

/// The user metadata key asked for.
pub const FIELD: &str = "favorite_color";
/// How long the user has to answer, in seconds.
pub const ANSWER_WITHIN_SECONDS: u32 = 600;
/// Where the tokens travel, both ways (Auth0's default for `validateToken`).
pub const TOKEN_PARAMETER: &str = "session_token";
/// Longest answer stored: metadata is not a place for essays.
const MAX_ANSWER_CHARS: usize = 64;

#[postlogin::action]
pub async fn on_execute_post_login(event: &Event, api: &mut Api) -> Result<(), Error> {
    if event.user.user_metadata.get(FIELD).is_some() {
        return Ok(());
    }
    // Configuration first, so a misconfigured Action shows up on the next login, whatever it is.
    let form = event.secrets.url("form_url")?;
    let secret = event.secrets.get("form_secret")?;
    // Refresh tokens, password grants and silent logins have no browser to send anywhere.
    if !api.redirect().can_redirect()? {
        return Ok(());
    }
    let mut ask = postlogin::serde_json::Map::new();
    ask.insert("ask".into(), FIELD.into());
    let token = api
        .redirect()
        .encode_token(secret, ANSWER_WITHIN_SECONDS, Value::Object(ask))?;
    api.redirect()
        .send_user_to(form.as_str(), &[(TOKEN_PARAMETER, &token)])
}

#[postlogin::action]
pub async fn on_continue_post_login(event: &Event, api: &mut Api) -> Result<(), Error> {
    let secret = event.secrets.get("form_secret")?;
    let answer = api.redirect().validate_token(secret, TOKEN_PARAMETER)?;
    let color = answer
        .get(FIELD)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|color| !color.is_empty() && color.chars().count() <= MAX_ANSWER_CHARS)
        .ok_or_else(|| Error::action("the form sent no usable favorite_color"))?;
    api.user().set_user_metadata(FIELD, color)
}

#[cfg(test)]
mod tests {
    use super::*;
    use postlogin::json;
    use postlogin::testing::{continue_event, jwt, Harness, Run};

    const FORM: &str = "https://forms.example.com/color";
    const SECRET: &str = "form-shared-secret-0123456789";

    fn harness() -> Harness {
        Harness::new()
            .secret("form_url", FORM)
            .secret("form_secret", SECRET)
    }

    fn login(user_metadata: Value, protocol: &str) -> Value {
        json!({
            "user": {"user_id": "auth0|42", "user_metadata": user_metadata},
            "transaction": {"protocol": protocol},
            "request": {"hostname": "login.example.com", "query": {"client_id": "APP"}},
        })
    }

    /// The form's side: checks the token it was sent, and answers through `/continue` with the
    /// `state` Auth0 gave it and its own token (which reuses the expiry it was given).
    fn form_answers(first: &Run, event: &Value, state: &str, color: &str) -> Value {
        let (url, query) = first.redirect().expect("the user was sent to the form");
        assert_eq!(url, FORM);
        let [(TOKEN_PARAMETER, token)] = query.as_slice() else {
            panic!("the form gets exactly the session token");
        };
        let mut claims = jwt::verify(SECRET, token).expect("a token signed with form_secret");
        claims.insert("state".into(), state.into());
        claims.insert(FIELD.into(), color.into());
        let back = jwt::sign(SECRET, &claims);
        continue_event(event, json!({"state": state, TOKEN_PARAMETER: back}))
    }

    #[test]
    fn an_unknown_color_sends_the_user_to_the_form_with_a_signed_question() {
        let run = harness().run(
            login(json!({}), "oidc-basic-profile"),
            on_execute_post_login,
        );
        assert!(run.result.is_ok(), "{:?}", run.result);
        let (url, query) = run.redirect().unwrap();
        assert_eq!(url, FORM);
        let claims = jwt::verify(SECRET, query[0].1).unwrap();
        assert_eq!(claims["ask"], FIELD);
        assert_eq!(claims["sub"], "auth0|42");
        let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
        assert_eq!(lifetime, u64::from(ANSWER_WITHIN_SECONDS));
        assert!(jwt::verify("a-guess", query[0].1).is_err());
    }

    #[test]
    fn the_answer_is_stored_when_the_user_comes_back() {
        let harness = harness();
        let event = login(json!({}), "oidc-basic-profile");
        let first = harness.run(event.clone(), on_execute_post_login);
        let back = form_answers(&first, &event, "st-123", " teal ");
        let run = harness.run(back, on_continue_post_login);
        assert!(run.result.is_ok(), "{:?}", run.result);
        assert_eq!(run.user_metadata(FIELD), Some(&json!("teal")));
        assert_eq!(run.commands.len(), 1);
    }

    #[test]
    fn a_known_color_asks_nothing() {
        let run = harness().run(
            login(json!({FIELD: "blue"}), "oidc-basic-profile"),
            on_execute_post_login,
        );
        assert!(run.result.is_ok(), "{:?}", run.result);
        assert_eq!(run.commands, []);
    }

    #[test]
    fn logins_that_cannot_redirect_are_asked_next_time() {
        for protocol in ["oauth2-refresh-token", "oauth2-password"] {
            let run = harness().run(login(json!({}), protocol), on_execute_post_login);
            assert!(run.result.is_ok(), "{:?}", run.result);
            assert_eq!(run.commands, [], "{protocol}");
        }
        let mut silent = login(json!({}), "oidc-basic-profile");
        silent["transaction"]["prompt"] = json!(["none"]);
        assert_eq!(harness().run(silent, on_execute_post_login).commands, []);
    }

    #[test]
    fn forged_late_or_empty_answers_store_nothing() {
        let harness = harness();
        let event = login(json!({}), "oidc-basic-profile");
        let first = harness.run(event.clone(), on_execute_post_login);

        // Signed by someone who does not know form_secret.
        let forged = jwt::sign(
            "a-guess",
            json!({"sub": "auth0|42", "iss": "x", "iat": 1, "exp": u64::MAX / 2, "state": "st", FIELD: "red"})
                .as_object()
                .unwrap(),
        );
        let back = continue_event(&event, json!({"state": "st", TOKEN_PARAMETER: forged}));
        let run = harness.run(back, on_continue_post_login);
        assert_eq!(
            run.failure().as_deref(),
            Some(
                "redirect.validateToken failed: The session token is invalid: the token's \
                 signature is not valid"
            )
        );
        assert_eq!(run.outcome().commands, []);

        // A real answer replayed into another transaction (another state).
        let mut back = form_answers(&first, &event, "st-1", "red");
        back["request"]["query"]["state"] = json!("st-2");
        let run = harness.run(back, on_continue_post_login);
        assert!(run
            .failure()
            .unwrap()
            .ends_with("the state is not the one /continue was called with"));

        // An empty answer.
        let back = form_answers(&first, &event, "st-1", "  ");
        let run = harness.run(back, on_continue_post_login);
        assert_eq!(
            run.failure().as_deref(),
            Some("the form sent no usable favorite_color")
        );

        // Too late: the form's token expires with the question's.
        let back = form_answers(&first, &event, "st-1", "red");
        harness.advance(f64::from(ANSWER_WITHIN_SECONDS) * 1000.0);
        let run = harness.run(back, on_continue_post_login);
        assert!(run.failure().unwrap().ends_with("the token has expired"));
    }

    #[test]
    fn misconfiguration_fails_without_quoting_the_secret() {
        let run = Harness::new()
            .secret("form_url", "http://forms.example.com")
            .secret("form_secret", SECRET)
            .run(
                login(json!({}), "oidc-basic-profile"),
                on_execute_post_login,
            );
        assert_eq!(
            run.failure().as_deref(),
            Some("redirect.sendUserTo: plain http:// is for loopback hosts only; use https://")
        );
        let run = Harness::new().secret("form_url", FORM).run(
            login(json!({}), "oidc-basic-profile"),
            on_execute_post_login,
        );
        assert_eq!(run.failure().as_deref(), Some("missing secret form_secret"));
        let failure = harness()
            .run(
                continue_event(&login(json!({}), "x"), json!({"state": "s"})),
                on_continue_post_login,
            )
            .failure()
            .unwrap();
        assert!(!failure.contains(SECRET), "{failure}");
    }
}
