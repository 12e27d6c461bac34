//! The client-credentials grant: how an Action gets a token for the team's backend.

use std::fmt;

use crate::http::{Http, Request};
use crate::url::BaseUrl;
use crate::Error;

const SERVICE: &str = "token endpoint";

/// A machine-to-machine application allowed to call an API (`audience`).
pub struct ClientCredentials<'a> {
    /// The Auth0 domain's origin; the token endpoint is `{origin}/oauth/token`.
    pub origin: BaseUrl,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub audience: &'a str,
}

/// An access token. Its `Debug` is redacted so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    pub fn new(token: impl Into<String>) -> Self {
        AccessToken(token.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(…)")
    }
}

impl ClientCredentials<'_> {
    /// `POST {origin}/oauth/token` with a JSON client-credentials body.
    pub async fn request_token(&self, http: &Http) -> Result<AccessToken, Error> {
        // Built by hand: `json!` with expressions goes through serde's value serializer.
        let body: serde_json::Map<String, serde_json::Value> = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id),
            ("client_secret", self.client_secret),
            ("audience", self.audience),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.into()))
        .collect();
        let request = Request::post(self.origin.join(["oauth", "token"]))
            .service(SERVICE)
            .json(body);
        let answer = http.send(request).await?.error_for_status()?.json_value()?;
        match answer.get("access_token") {
            Some(serde_json::Value::String(token)) if !token.is_empty() => {
                Ok(AccessToken(token.clone()))
            }
            _ => Err(Error::InvalidAnswer {
                service: SERVICE.into(),
                detail: "no access_token".into(),
            }),
        }
    }
}
