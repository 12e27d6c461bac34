//! The Auth0 Management API as `deploy` uses it: a client-credentials token, Actions, and the
//! bindings of a trigger. Every request has a timeout; 429 answers are retried after
//! `Retry-After`, a bounded number of times; no error text carries the client secret, the
//! token or a secret value (Auth0's own messages are scrubbed of them too).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::build::progress;
use crate::CliError;

/// Per request, connection to last byte. Auth0 answers in well under a second; uploading
/// 100 kB of code on a slow link still fits.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// 429s in a row for one request before giving up.
const RATE_LIMIT_RETRIES: u32 = 5;
/// A longer wait asked by Auth0 ends the run instead: a CI job is better failed than stuck.
const LONGEST_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// Auth0 allows at most 20 bindings per trigger, so one page holds them all.
const BINDINGS_PER_PAGE: usize = 20;

/// `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID` and `AUTH0_CLIENT_SECRET`. No `Debug`: it holds a secret.
pub struct Credentials {
    pub origin: String,
    client_id: String,
    client_secret: String,
}

impl Credentials {
    pub fn from_env() -> Result<Credentials, CliError> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
                .ok_or_else(|| {
                    CliError::Input(format!(
                        "{name} is not set: deploy reads the tenant and a machine-to-machine \
                         application's credentials from AUTH0_DOMAIN, AUTH0_CLIENT_ID and \
                         AUTH0_CLIENT_SECRET"
                    ))
                })
        };
        let domain = var("AUTH0_DOMAIN")?;
        let origin = origin(domain.trim())
            .map_err(|problem| CliError::Input(format!("AUTH0_DOMAIN: {problem}")))?;
        Ok(Credentials {
            origin,
            client_id: var("AUTH0_CLIENT_ID")?.trim().to_owned(),
            client_secret: var("AUTH0_CLIENT_SECRET")?,
        })
    }
}

/// `tenant.eu.auth0.com` → `https://tenant.eu.auth0.com`; a full origin is kept. Plain http is
/// for loopback only (a local emulator): the client secret and the token travel in it.
pub fn origin(domain: &str) -> Result<String, String> {
    let domain = domain.trim_end_matches('/');
    let (scheme, host) = match domain.split_once("://") {
        Some((scheme, host)) => (scheme.to_ascii_lowercase(), host),
        None => ("https".to_owned(), domain),
    };
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c));
    if !valid_host {
        return Err(format!(
            "`{domain}` is not a domain (tenant.auth0.com) or an origin (https://host[:port])"
        ));
    }
    match scheme.as_str() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(format!(
                "`{domain}` is plain http to a host other than loopback; use https"
            ))
        }
        other => return Err(format!("`{domain}`: unsupported scheme `{other}`")),
    }
    Ok(format!("{scheme}://{host}"))
}

fn is_loopback(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _port)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An Action as the Management API describes it (only what deploy reads).
#[derive(Deserialize)]
pub struct Action {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub runtime: Option<String>,
    /// Names only: Auth0 never returns a secret's value.
    #[serde(default)]
    pub secrets: Vec<SecretName>,
    #[serde(default)]
    pub supported_triggers: Vec<Trigger>,
    #[serde(default)]
    pub dependencies: Vec<Value>,
    #[serde(default)]
    pub all_changes_deployed: bool,
    #[serde(default)]
    pub errors: Vec<BuildError>,
}

#[derive(Deserialize)]
pub struct SecretName {
    pub name: String,
}

#[derive(Deserialize, Serialize, PartialEq, Eq)]
pub struct Trigger {
    pub id: String,
    pub version: String,
}

#[derive(Deserialize)]
pub struct BuildError {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub msg: Option<String>,
}

#[derive(Deserialize)]
pub struct Version {
    #[serde(default)]
    pub number: Option<u64>,
}

#[derive(Deserialize)]
pub struct Binding {
    pub action: BoundAction,
    #[serde(default)]
    pub display_name: Option<String>,
}

#[derive(Deserialize)]
pub struct BoundAction {
    pub id: String,
    pub name: String,
}

#[derive(Deserialize)]
struct ActionList {
    actions: Vec<Action>,
}

#[derive(Deserialize)]
struct BindingPage {
    bindings: Vec<Binding>,
    #[serde(default)]
    total: Option<usize>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
}

/// A Management API session. No `Debug`: it holds the token.
pub struct Client {
    agent: ureq::Agent,
    origin: String,
    token: String,
    /// Values no error text may contain.
    redact: Vec<String>,
}

impl Client {
    /// Gets a token for `{origin}/api/v2/`. `redact` lists further values (the Action's secret
    /// values) to scrub from every error.
    pub fn connect(credentials: &Credentials, mut redact: Vec<String>) -> Result<Client, CliError> {
        redact.push(credentials.client_secret.clone());
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .http_status_as_error(false)
            // A redirect would carry the bearer token elsewhere; Auth0 never sends one here.
            .max_redirects(0)
            .user_agent(concat!("postlogin/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let mut client = Client {
            agent,
            origin: credentials.origin.clone(),
            token: String::new(),
            redact,
        };
        let body = json!({
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "audience": format!("{}/api/v2/", credentials.origin),
        });
        let answer: TokenAnswer = client.send("POST", "/oauth/token", Some(&body))?;
        client.redact.push(answer.access_token.clone());
        client.token = answer.access_token;
        Ok(client)
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The Action with exactly this name, if there is one.
    pub fn find_action(&self, name: &str) -> Result<Option<Action>, CliError> {
        let path = format!("/api/v2/actions/actions?actionName={}", encode(name));
        let list: ActionList = self.send("GET", &path, None)?;
        let mut matching = list.actions.into_iter().filter(|a| a.name == name);
        let found = matching.next();
        if matching.next().is_some() {
            return Err(self.error(format!(
                "the tenant has more than one Action named `{name}`; deploy cannot tell which \
                 to update"
            )));
        }
        // The list may abbreviate an Action; the full one has the draft's code to compare.
        found.map(|action| self.action(&action.id)).transpose()
    }

    pub fn action(&self, id: &str) -> Result<Action, CliError> {
        self.send(
            "GET",
            &format!("/api/v2/actions/actions/{}", encode(id)),
            None,
        )
    }

    pub fn create_action(&self, body: &Value) -> Result<Action, CliError> {
        self.send("POST", "/api/v2/actions/actions", Some(body))
    }

    /// Auth0 replaces the draft's `secrets` list whole with the one in `body`.
    pub fn update_action(&self, id: &str, body: &Value) -> Result<Action, CliError> {
        let path = format!("/api/v2/actions/actions/{}", encode(id));
        self.send("PATCH", &path, Some(body))
    }

    pub fn deploy_action(&self, id: &str) -> Result<Version, CliError> {
        let path = format!("/api/v2/actions/actions/{}/deploy", encode(id));
        self.send("POST", &path, None)
    }

    /// The trigger's bindings, in the order Auth0 runs them.
    pub fn bindings(&self, trigger: &str) -> Result<Vec<Binding>, CliError> {
        let mut bindings = Vec::new();
        for page in 0.. {
            let path = format!(
                "/api/v2/actions/triggers/{}/bindings?page={page}&per_page={BINDINGS_PER_PAGE}",
                encode(trigger)
            );
            let answer: BindingPage = self.send("GET", &path, None)?;
            let done = answer.bindings.is_empty()
                || answer
                    .total
                    .is_none_or(|total| bindings.len() + answer.bindings.len() >= total);
            bindings.extend(answer.bindings);
            if done {
                break;
            }
        }
        Ok(bindings)
    }

    /// Auth0 replaces the trigger's whole ordered list with `actions` (id, display name).
    pub fn set_bindings(&self, trigger: &str, actions: &[(&str, &str)]) -> Result<(), CliError> {
        let bindings: Vec<Value> = actions
            .iter()
            .map(|(id, display_name)| {
                json!({"ref": {"type": "action_id", "value": id}, "display_name": display_name})
            })
            .collect();
        let path = format!("/api/v2/actions/triggers/{}/bindings", encode(trigger));
        self.send::<Value>("PATCH", &path, Some(&json!({ "bindings": bindings })))
            .map(drop)
    }

    fn send<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, CliError> {
        let what = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let url = format!("{}{path}", self.origin);
        let mut attempt = 0;
        let mut response = loop {
            let response = self
                .request(method, &url, body)
                .map_err(|err| self.error(format!("{what}: {}", transport_problem(&err))))?;
            if response.status().as_u16() != 429 || attempt == RATE_LIMIT_RETRIES {
                break response;
            }
            attempt += 1;
            let wait = rate_limit_wait(response.headers(), SystemTime::now());
            if wait > LONGEST_RATE_LIMIT_WAIT {
                return Err(self.error(format!(
                    "{what} was rate limited (HTTP 429) and Auth0 asks to wait {} s, longer \
                     than deploy waits ({} s); run it again later",
                    wait.as_secs(),
                    LONGEST_RATE_LIMIT_WAIT.as_secs()
                )));
            }
            progress(
                "Waiting",
                &format!(
                    "{} s: {what} was rate limited (HTTP 429), retry {attempt} of \
                     {RATE_LIMIT_RETRIES}",
                    wait.as_secs_f32()
                ),
            );
            std::thread::sleep(wait);
        };
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|err| self.error(format!("{what}: {}", transport_problem(&err))))?;
        if !(200..300).contains(&status) {
            return Err(self.error(failure(&what, status, &text)));
        }
        serde_json::from_str(&text).map_err(|err| {
            // serde's own message can quote a piece of the answer: only its position is kept.
            let kind = match err.classify() {
                serde_json::error::Category::Data => "JSON of an unexpected shape",
                _ => "a body that is not JSON",
            };
            self.error(format!(
                "{what} answered HTTP {status} with {kind} (line {}, column {})",
                err.line(),
                err.column()
            ))
        })
    }

    fn request(
        &self,
        method: &str,
        url: &str,
        body: Option<&Value>,
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let bearer = format!("Bearer {}", self.token);
        let json = body.map(Value::to_string);
        let with_body = match method {
            "GET" => {
                return self
                    .agent
                    .get(url)
                    .header("Authorization", &bearer)
                    .header("Accept", "application/json")
                    .call()
            }
            "POST" => self.agent.post(url),
            "PATCH" => self.agent.patch(url),
            other => unreachable!("no Management API call uses {other}"),
        };
        let with_body = with_body.header("Accept", "application/json");
        // The token request itself carries no bearer.
        let with_body = if self.token.is_empty() {
            with_body
        } else {
            with_body.header("Authorization", &bearer)
        };
        match json {
            Some(json) => with_body.content_type("application/json").send(&json),
            None => with_body.send_empty(),
        }
    }

    /// `text` without the client secret, the token or a secret value.
    pub fn redact(&self, text: String) -> String {
        redact(text, &self.redact)
    }

    fn error(&self, problem: String) -> CliError {
        CliError::Tool {
            tool: format!("Auth0 ({})", self.origin),
            problem: self.redact(problem),
        }
    }
}

/// What went wrong below HTTP, in words.
fn transport_problem(err: &ureq::Error) -> String {
    match err {
        ureq::Error::Timeout(_) => format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectionFailed => "cannot connect".into(),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused".into()
        }
        ureq::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

/// Management API errors are `{statusCode, error, message, errorCode}`; the token endpoint's
/// are `{error, error_description}`.
fn failure(what: &str, status: u16, body: &str) -> String {
    let answer: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let field = |name: &str| answer.get(name).and_then(Value::as_str);
    let code = field("errorCode").or(field("error"));
    let message = field("message").or(field("error_description"));
    let mut text = format!("{what} answered HTTP {status}");
    if let Some(code) = code {
        text += &format!(" ({code})");
    }
    if let Some(message) = message {
        text += ": ";
        text.extend(message.chars().take(300));
    }
    if status == 401 || status == 403 {
        text += "; check AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET, and that the application may \
                 call the Management API with read:actions, create:actions and update:actions";
    }
    text
}

/// `Retry-After` in seconds, else Auth0's `X-RateLimit-Reset` (epoch seconds), else 1 s.
fn rate_limit_wait(headers: &ureq::http::HeaderMap, now: SystemTime) -> Duration {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<f64>().ok())
            .filter(|n| n.is_finite() && *n >= 0.0)
    };
    if let Some(seconds) = number("retry-after") {
        return Duration::from_secs_f64(seconds);
    }
    if let Some(reset) = number("x-ratelimit-reset") {
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        return Duration::from_secs_f64(reset).saturating_sub(now);
    }
    Duration::from_secs(1)
}

/// Replaces each of `values` in `text` by `[redacted]`, longest first so that a value
/// containing another is not left half visible.
fn redact(mut text: String, values: &[String]) -> String {
    let mut values: Vec<&String> = values.iter().filter(|v| !v.is_empty()).collect();
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    for value in values {
        text = text.replace(value.as_str(), "[redacted]");
    }
    text
}

/// Percent-encodes a query value or path segment (RFC 3986 unreserved characters stay).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_become_https_origins_and_plain_http_is_loopback_only() {
        assert_eq!(
            origin("tenant.eu.auth0.com").unwrap(),
            "https://tenant.eu.auth0.com"
        );
        assert_eq!(
            origin("https://tenant.auth0.com/").unwrap(),
            "https://tenant.auth0.com"
        );
        assert_eq!(
            origin("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(origin("http://localhost:1").unwrap(), "http://localhost:1");
        assert_eq!(origin("http://[::1]:9").unwrap(), "http://[::1]:9");
        assert_eq!(
            origin("http://tenant.auth0.com").unwrap_err(),
            "`http://tenant.auth0.com` is plain http to a host other than loopback; use https"
        );
        assert!(origin("http://127.0.0.1.evil.com").is_err());
        assert!(origin("https://tenant.auth0.com/api/v2").is_err());
        assert!(origin("ftp://tenant.auth0.com").is_err());
        assert!(origin("").is_err());
    }

    #[test]
    fn failures_name_the_request_the_status_and_auth0s_code() {
        assert_eq!(
            failure(
                "POST /api/v2/actions/actions/a1/deploy",
                400,
                r#"{"statusCode":400,"error":"Bad Request","message":"A draft must be in the 'built' state"}"#
            ),
            "POST /api/v2/actions/actions/a1/deploy answered HTTP 400 (Bad Request): \
             A draft must be in the 'built' state"
        );
        let denied = failure(
            "POST /oauth/token",
            401,
            r#"{"error":"access_denied","error_description":"Unauthorized"}"#,
        );
        assert!(
            denied.starts_with(
                "POST /oauth/token answered HTTP 401 (access_denied): Unauthorized; check \
                 AUTH0_CLIENT_ID"
            ),
            "{denied}"
        );
        assert_eq!(failure("GET /x", 502, "<html>"), "GET /x answered HTTP 502");
    }

    #[test]
    fn rate_limit_waits_follow_retry_after_then_the_reset_time() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let mut headers = ureq::http::HeaderMap::new();
        assert_eq!(rate_limit_wait(&headers, now), Duration::from_secs(1));
        headers.insert("x-ratelimit-reset", "1003".parse().unwrap());
        assert_eq!(rate_limit_wait(&headers, now), Duration::from_secs(3));
        headers.insert("retry-after", "2".parse().unwrap());
        assert_eq!(rate_limit_wait(&headers, now), Duration::from_secs(2));
    }

    #[test]
    fn redaction_hides_every_value_longest_first() {
        let values = ["abc".to_string(), "abcdef".to_string(), String::new()];
        assert_eq!(
            redact("x abcdef y abc".into(), &values),
            "x [redacted] y [redacted]"
        );
    }

    #[test]
    fn encoding_keeps_unreserved_characters_only() {
        assert_eq!(encode("enrich-from_backend.v1~"), "enrich-from_backend.v1~");
        assert_eq!(encode("a b/ü"), "a%20b%2F%C3%BC");
    }
}
