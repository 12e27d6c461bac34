//! The client-credentials grant: how an Action gets a token for the team's backend, and keeps
//! it. Every token request counts against the tenant's M2M quota and adds a round trip to the
//! login, so a token is reused until shortly before it expires.

use std::fmt;

use serde_json::{Map, Value};

use crate::api::Api;
use crate::host::CacheRecord;
use crate::http::{Http, Request};
use crate::text::{decimal, hex, join};
use crate::url::BaseUrl;
use crate::Error;

const SERVICE: &str = "token endpoint";
/// api.cache keeps at most 24 hours.
const MAX_CACHE_MS: f64 = 24.0 * 3600.0 * 1000.0;
/// A token is retired this long before it expires (at most half its lifetime).
const EXPIRY_MARGIN_MS: f64 = 60_000.0;
/// api.cache refuses larger values.
const MAX_CACHE_VALUE_BYTES: usize = 4096;

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
    /// A token, reused while it is valid: from the wasm instance's memory (a warm Actions
    /// instance), else from Auth0's `api.cache`, else from the token endpoint, whose answer is
    /// then kept in both until shortly before its `expires_in`. A cache that refuses the write
    /// costs a log line (without the token), not the login.
    pub async fn token(&self, api: &mut Api) -> Result<AccessToken, Error> {
        let key = self.cache_key();
        let now = api.host().now_ms();
        if let Some(record) = api.host().remembered(&key) {
            if record.expires_at > now {
                return Ok(AccessToken(record.value));
            }
        }
        if let Some(record) = api.host().cache_get(&key).and_then(|r| unpack(r, now)) {
            let token = AccessToken(record.value.clone());
            api.host().remember(&key, record);
            return Ok(token);
        }
        let (token, expires_in) = self.fetch(api.http()).await?;
        if let Some(lifetime) = expires_in.and_then(reusable_for) {
            let expires_at = (now + lifetime).floor();
            let record = CacheRecord {
                value: token.0.clone(),
                expires_at,
            };
            api.host().remember(&key, record);
            // The expiry travels in the value: some harnesses return bare strings from get.
            let packed = join!(decimal(expires_at as u64), ":", token.0);
            let written = if packed.len() > MAX_CACHE_VALUE_BYTES {
                Err("CacheValueSizeExceeded".to_owned())
            } else {
                api.host().cache_set(&key, &packed, lifetime)
            };
            if let Err(code) = written {
                api.log(join!(
                    "token kept in memory only: api.cache refused it (",
                    code,
                    ")"
                ));
            }
        }
        Ok(token)
    }

    /// A new token from `POST {origin}/oauth/token`, every time (prefer [`Self::token`]).
    pub async fn request_token(&self, http: &Http) -> Result<AccessToken, Error> {
        self.fetch(http).await.map(|(token, _)| token)
    }

    async fn fetch(&self, http: &Http) -> Result<(AccessToken, Option<f64>), Error> {
        // Built by hand: `json!` with expressions goes through serde's value serializer, and
        // collecting into the map would sort (a sort routine is kilobytes of wasm).
        let mut body = Map::new();
        for (name, value) in [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id),
            ("client_secret", self.client_secret),
            ("audience", self.audience),
        ] {
            body.insert(name.to_owned(), Value::String(value.to_owned()));
        }
        let request = Request::post(self.origin.join(["oauth", "token"]))
            .service(SERVICE)
            .json(body);
        let answer = http.send(request).await?.error_for_status()?.json_value()?;
        match answer.get("access_token") {
            Some(Value::String(token)) if !token.is_empty() => Ok((
                AccessToken(token.clone()),
                answer.get("expires_in").and_then(Value::as_f64),
            )),
            _ => Err(Error::InvalidAnswer {
                service: SERVICE.into(),
                detail: "no access_token".into(),
            }),
        }
    }

    /// At most 64 bytes, and no secret in it: a hash of what identifies the token.
    fn cache_key(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for part in [self.origin.as_str(), self.client_id, self.audience] {
            for byte in part.bytes().chain([0]) {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        join!("postlogin:token:", hex(hash, 16))
    }
}

/// How long a token that expires in `expires_in` seconds may be reused, if at all.
fn reusable_for(expires_in: f64) -> Option<f64> {
    let lifetime_ms = expires_in * 1000.0;
    let margin = EXPIRY_MARGIN_MS.min(lifetime_ms / 2.0);
    let reusable = (lifetime_ms - margin).min(MAX_CACHE_MS);
    (reusable >= 1000.0).then_some(reusable)
}

/// A cached `expires_at:token`, if still good.
fn unpack(record: CacheRecord, now: f64) -> Option<CacheRecord> {
    let (expires_at, token) = record.value.split_once(':')?;
    let expires_at = expires_at.parse::<u64>().ok()? as f64;
    let expires_at = expires_at.min(record.expires_at);
    (expires_at > now && !token.is_empty()).then(|| CacheRecord {
        value: token.to_owned(),
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_reused_until_shortly_before_they_expire() {
        assert_eq!(reusable_for(86_400.0), Some(86_340_000.0));
        assert_eq!(reusable_for(3.0 * 86_400.0), Some(MAX_CACHE_MS));
        assert_eq!(reusable_for(60.0), Some(30_000.0));
        assert_eq!(reusable_for(1.0), None);
        assert_eq!(reusable_for(0.0), None);
    }

    #[test]
    fn cached_values_carry_their_expiry() {
        let record = |value: &str, expires_at: f64| CacheRecord {
            value: value.into(),
            expires_at,
        };
        assert_eq!(
            unpack(record("2000:AT", f64::INFINITY), 1000.0),
            Some(record("AT", 2000.0))
        );
        assert_eq!(
            unpack(record("2000:AT", 1500.0), 1000.0),
            Some(record("AT", 1500.0))
        );
        assert_eq!(unpack(record("2000:AT", f64::INFINITY), 2000.0), None);
        assert_eq!(
            unpack(record("AT-without-expiry", f64::INFINITY), 0.0),
            None
        );
        assert_eq!(unpack(record("2000:", f64::INFINITY), 0.0), None);
    }

    #[test]
    fn cache_keys_are_short_and_free_of_secrets() {
        let credentials = |client_id, audience| ClientCredentials {
            origin: BaseUrl::parse("https://tenant.example").unwrap(),
            client_id,
            client_secret: "CS-secret",
            audience,
        };
        let key = credentials("id", "aud").cache_key();
        assert!(
            key.len() <= 64 && !key.contains("CS-secret") && !key.contains("id"),
            "{key}"
        );
        assert_ne!(key, credentials("id", "other").cache_key());
        assert_ne!(key, credentials("id2", "aud").cache_key());
        assert_eq!(key, credentials("id", "aud").cache_key());
    }
}
