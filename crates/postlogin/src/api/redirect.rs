//! `api.redirect`: sending the user to another site during the login, and reading what that site
//! sends back when the login continues in `on_continue_post_login`.
//!
//! `sendUserTo` is a command like any other. `canRedirect`, `encodeToken` and `validateToken`
//! answer a value, so they are synchronous calls through the host: the shim forwards them to
//! Auth0's real `api` in WebAssembly, the test harness emulates them natively.

use serde_json::Value;

use super::{check, object, Api};
use crate::error::without_string_literals;
use crate::url::BaseUrl;
use crate::Error;

/// `api.redirect`
pub struct RedirectApi<'a> {
    pub(super) api: &'a mut Api,
}

impl RedirectApi<'_> {
    /// `sendUserTo(url, {query})`: after this Action, the browser goes to `url` with `query`
    /// (and a `state` Auth0 adds); the login resumes in `on_continue_post_login` when the site
    /// sends the user to `/continue?state=…`. `url` must be absolute `https://` (plain `http://`
    /// for loopback only) with no query of its own: query parameters go in `query`, encoded.
    pub fn send_user_to(self, url: &str, query: &[(&str, &str)]) -> Result<(), Error> {
        const PATH: &str = "redirect.sendUserTo";
        let url = BaseUrl::parse(url).map_err(|reason| Error::InvalidUrl {
            what: "the redirect.sendUserTo URL".into(),
            reason,
        })?;
        check(
            !url.is_plain_http_beyond_loopback(),
            PATH,
            "plain http:// is for loopback hosts only; use https://",
        )?;
        check(
            query.iter().all(|(name, _)| !name.is_empty()),
            PATH,
            "a query parameter has no name",
        )?;
        let mut args = vec![Value::from(url.as_str())];
        if !query.is_empty() {
            let parameters = query
                .iter()
                .map(|&(name, value)| (name, Value::from(value)))
                .collect();
            args.push(object(vec![("query", object(parameters))]));
        }
        self.api.record(PATH, args);
        Ok(())
    }

    /// `canRedirect()`: whether this login can send the user anywhere. It cannot when there is
    /// no browser (refresh-token or password grants) or the login is silent (`prompt=none`);
    /// redirecting then fails the login.
    pub fn can_redirect(self) -> Result<bool, Error> {
        const PATH: &str = "redirect.canRedirect";
        match call(self.api, PATH, Vec::new())? {
            Value::Bool(can) => Ok(can),
            _ => Err(unexpected(PATH)),
        }
    }

    /// `encodeToken({secret, expiresInSeconds, payload})`: a JWT (HS256, signed with `secret`,
    /// a secret shared with the site) carrying `payload` (an object) plus the user (`sub`), for
    /// the site to check who sent the user. Pass it in [`RedirectApi::send_user_to`]'s query.
    pub fn encode_token(
        self,
        secret: &str,
        expires_in_seconds: u32,
        payload: Value,
    ) -> Result<String, Error> {
        const PATH: &str = "redirect.encodeToken";
        check(!secret.is_empty(), PATH, "the secret is empty")?;
        check(expires_in_seconds > 0, PATH, "expiresInSeconds is 0")?;
        check(
            payload.is_object(),
            PATH,
            "the payload must be a JSON object",
        )?;
        let options = object(vec![
            ("secret", secret.into()),
            ("expiresInSeconds", expires_in_seconds.into()),
            ("payload", payload),
        ]);
        match call(self.api, PATH, vec![options])? {
            Value::String(token) => Ok(token),
            _ => Err(unexpected(PATH)),
        }
    }

    /// `validateToken({secret, tokenParameterName})`, in `on_continue_post_login`: the claims of
    /// the JWT the site sent back to `/continue` as parameter `token_parameter_name` (Auth0's
    /// default is `session_token`), once Auth0 has checked its signature with `secret`, its
    /// expiry, its subject and its `state`. A forged, expired or missing token is an error.
    pub fn validate_token(self, secret: &str, token_parameter_name: &str) -> Result<Value, Error> {
        const PATH: &str = "redirect.validateToken";
        check(!secret.is_empty(), PATH, "the secret is empty")?;
        check(
            !token_parameter_name.is_empty(),
            PATH,
            "the token parameter name is empty",
        )?;
        let options = object(vec![
            ("secret", secret.into()),
            ("tokenParameterName", token_parameter_name.into()),
        ]);
        match call(self.api, PATH, vec![options])? {
            claims @ Value::Object(_) => Ok(claims),
            _ => Err(unexpected(PATH)),
        }
    }
}

/// Auth0's message when it throws, without any quoted literal (which could be a token).
fn call(api: &Api, path: &'static str, args: Vec<Value>) -> Result<Value, Error> {
    api.host()
        .call(path, args)
        .map_err(|message| Error::CallFailed {
            api: path,
            message: without_string_literals(&message),
        })
}

fn unexpected(path: &'static str) -> Error {
    Error::CallFailed {
        api: path,
        message: "it answered an unexpected value".into(),
    }
}

#[cfg(test)]
mod tests {
    /// One `api` call under test.
    type Call = fn(&mut crate::Api) -> Result<(), crate::Error>;

    use crate::api::{Api, Command};
    use crate::testing::{jwt, Harness};
    use serde_json::{json, Value};

    const SECRET: &str = "shared-with-the-form-0123";

    fn login() -> Value {
        json!({"user": {"user_id": "auth0|7"}, "request": {"hostname": "login.example.com"}})
    }

    #[test]
    fn the_user_is_sent_to_an_absolute_https_url_with_encoded_query_parameters() {
        let run = Harness::new().run(login(), async |_, api: &mut Api| {
            api.redirect().send_user_to(
                "https://forms.example.com/color",
                &[("step", "1"), ("lang", "fr")],
            )?;
            api.redirect()
                .send_user_to("http://localhost:3000/form", &[])
        });
        assert!(run.result.is_ok(), "{:?}", run.result);
        assert_eq!(
            run.commands,
            [
                Command::new(
                    "redirect.sendUserTo",
                    vec![
                        json!("https://forms.example.com/color"),
                        json!({"query": {"step": "1", "lang": "fr"}}),
                    ]
                ),
                Command::new(
                    "redirect.sendUserTo",
                    vec![json!("http://localhost:3000/form")]
                ),
            ]
        );
        assert_eq!(run.redirect(), Some(("http://localhost:3000/form", vec![])));
    }

    #[test]
    fn unusable_redirect_urls_are_refused() {
        for (url, query, expected) in [
            (
                "/relative",
                &[][..],
                "the redirect.sendUserTo URL is not a usable URL: it must start with https:// or http://",
            ),
            (
                "http://forms.example.com",
                &[],
                "redirect.sendUserTo: plain http:// is for loopback hosts only; use https://",
            ),
            (
                "https://forms.example.com/?step=1",
                &[],
                "the redirect.sendUserTo URL is not a usable URL: it must not have a query or a fragment",
            ),
            (
                "https://forms.example.com",
                &[("", "x")][..],
                "redirect.sendUserTo: a query parameter has no name",
            ),
        ] {
            let run = Harness::new().run(login(), async |_, api: &mut Api| {
                api.redirect().send_user_to(url, query)
            });
            assert_eq!(run.failure().as_deref(), Some(expected), "{url}");
        }
    }

    #[test]
    fn can_redirect_follows_the_protocol() {
        let ask = |protocol: &str| {
            let run = Harness::new().run(
                json!({"user": {"user_id": "u"}, "transaction": {"protocol": protocol}}),
                async |_, api: &mut Api| {
                    let can = api.redirect().can_redirect()?;
                    api.log(if can { "can" } else { "cannot" });
                    Ok(())
                },
            );
            run.logs.join("")
        };
        assert_eq!(ask("oidc-basic-profile"), "can");
        assert_eq!(ask("oauth2-refresh-token"), "cannot");
    }

    #[test]
    fn tokens_round_trip_through_the_site_and_back() {
        let harness = Harness::new();
        let run = harness.run(login(), async |_, api: &mut Api| {
            let token =
                api.redirect()
                    .encode_token(SECRET, 120, json!({"ask": "favorite_color"}))?;
            api.redirect()
                .send_user_to("https://forms.example.com", &[("session_token", &token)])
        });
        let (_, query) = run.redirect().unwrap();
        let sent = jwt::verify(SECRET, query[0].1).unwrap();
        assert_eq!(
            (&sent["sub"], &sent["ask"]),
            (&json!("auth0|7"), &json!("favorite_color"))
        );

        // The site answers with its own token, carrying the state Auth0 gave it.
        let mut answer = sent.clone();
        answer.insert("state".into(), "st-9".into());
        answer.insert("favorite_color".into(), "teal".into());
        let continued = json!({
            "user": {"user_id": "auth0|7"},
            "request": {"query": {"state": "st-9", "session_token": jwt::sign(SECRET, &answer)}},
        });
        let run = harness.run(continued.clone(), async |_, api: &mut Api| {
            let claims = api.redirect().validate_token(SECRET, "session_token")?;
            api.user()
                .set_user_metadata("favorite_color", claims["favorite_color"].clone())
        });
        assert_eq!(run.user_metadata("favorite_color"), Some(&json!("teal")));

        let run = harness.run(continued, async |_, api: &mut Api| {
            api.redirect()
                .validate_token("not-the-secret", "session_token")?;
            Ok(())
        });
        assert_eq!(
            run.failure().as_deref(),
            Some(
                "redirect.validateToken failed: The session token is invalid: the token's \
                 signature is not valid"
            )
        );
    }

    #[test]
    fn token_options_are_checked_before_auth0_sees_them() {
        let cases: [(&str, Call); 4] = [
            ("redirect.encodeToken: the secret is empty", |api| {
                api.redirect().encode_token("", 60, json!({})).map(drop)
            }),
            ("redirect.encodeToken: expiresInSeconds is 0", |api| {
                api.redirect().encode_token(SECRET, 0, json!({})).map(drop)
            }),
            (
                "redirect.encodeToken: the payload must be a JSON object",
                |api| {
                    api.redirect()
                        .encode_token(SECRET, 60, json!([1]))
                        .map(drop)
                },
            ),
            (
                "redirect.validateToken: the token parameter name is empty",
                |api| api.redirect().validate_token(SECRET, "").map(drop),
            ),
        ];
        for (expected, action) in cases {
            let run = Harness::new().run(login(), async |_, api: &mut Api| action(api));
            assert_eq!(run.failure().as_deref(), Some(expected));
        }
    }
}
