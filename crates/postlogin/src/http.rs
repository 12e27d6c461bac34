//! Outgoing HTTP: a request builder, a fully read response, and the policy around sending:
//! timeouts, at most the configured retries (network errors, 429, 502, 503, 504, honouring
//! `Retry-After` when it fits in the budget), no plain `http://` beyond loopback, and a cap
//! on answer sizes. The sending itself is the host's (`fetch` in WebAssembly).

use std::cell::OnceCell;
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Service;
use crate::host::HostRef;
pub use crate::host::TransportFailure;
use crate::policy::Policy;
use crate::raw_json::RawJson;
use crate::text::join;
use crate::url::BaseUrl;
use crate::Error;

/// The wait before a retry when the answer names none.
const RETRY_BACKOFF_MS: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

#[derive(Clone)]
pub struct Request {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    timeout: Option<Duration>,
    service: Service,
}

impl Request {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            timeout: None,
            service: Service::Borrowed("remote service"),
        }
    }

    pub fn get(url: impl Into<String>) -> Self {
        Request::new(Method::Get, url)
    }

    pub fn post(url: impl Into<String>) -> Self {
        Request::new(Method::Post, url)
    }

    /// Names the remote party in errors ("backend answered HTTP 503"), instead of its URL.
    pub fn service(mut self, name: impl Into<Service>) -> Self {
        self.service = name.into();
        self
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", join!("Bearer ", token))
    }

    /// A JSON body, with its content type. For a typed struct, `serde_json::to_value(&it)?`.
    pub fn json(mut self, body: impl Into<Value>) -> Self {
        self.body = Some(crate::json::to_string(&body.into()));
        self.header("content-type", "application/json")
    }

    /// This request's timeout, instead of the policy's `request_timeout_ms`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    pub fn method(&self) -> Method {
        self.method
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The value of a header, by case-insensitive name.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }

    /// The timeout set on this request, if any (otherwise the policy's applies).
    pub fn timeout_duration(&self) -> Option<Duration> {
        self.timeout
    }

    pub fn service_name(&self) -> &str {
        &self.service
    }

    fn timeout_ms(&self, policy: &Policy) -> u32 {
        self.timeout.map_or(policy.request_timeout_ms, |timeout| {
            u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX)
        })
    }

    /// Plain `http://` carries credentials and answers in clear: loopback only, unless the
    /// Action opted in.
    fn check_transport_security(&self, policy: &Policy) -> Result<(), Error> {
        let insecure = crate::url::is_plain_http_beyond_loopback(&self.url);
        check_transport(policy, insecure, || self.service.clone())
    }
}

/// Method, URL and header names only: bodies and header values carry credentials.
impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &names)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

/// A response whose body has been read completely.
#[derive(Clone)]
pub struct Response {
    status: u16,
    headers: Headers,
    body: String,
    service: Service,
}

/// A response's headers as `name:value` lines. In WebAssembly they stay in the shim until the
/// Action reads one: most logins never do, and then they never cross.
#[derive(Clone, Default)]
struct Headers {
    lines: OnceCell<String>,
    /// The request whose answer they belong to, when they are still in the shim.
    #[cfg(target_arch = "wasm32")]
    request: Option<u32>,
}

impl Headers {
    fn lines(&self) -> &str {
        self.lines.get_or_init(|| {
            #[cfg(target_arch = "wasm32")]
            if let Some(request) = self.request {
                return crate::host::runtime::response_headers(request);
            }
            String::new()
        })
    }

    fn find(&self, name: &str) -> Option<&str> {
        self.lines()
            .split('\n')
            .filter_map(|line| line.split_once(':'))
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    fn with(&self, name: &str, value: &str) -> Headers {
        let lines = join!(self.lines(), name, ":", value, "\n");
        Headers {
            lines: OnceCell::from(lines),
            #[cfg(target_arch = "wasm32")]
            request: None,
        }
    }
}

impl Response {
    /// A response as a transport or a test fake produces it.
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Response {
            status,
            headers: Headers::default(),
            body: body.into(),
            service: Service::Borrowed("remote service"),
        }
    }

    /// A JSON response, as a test fake would send it.
    pub fn json_body(status: u16, body: &Value) -> Self {
        Response::new(status, body.to_string()).with_header("content-type", "application/json")
    }

    /// Adds a header, as HTTP allows one: no `:` in its name, no line break in its value.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers = self.headers.with(&name.into(), &value.into());
        self
    }

    /// Headers the shim keeps until one is read: those of its answer to `request`.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn with_headers_from_host(mut self, request: u32) -> Self {
        self.headers = Headers {
            lines: OnceCell::new(),
            request: Some(request),
        };
        self
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.find(name)
    }

    pub fn text(&self) -> &str {
        &self.body
    }

    /// The body as a JSON value; a body that is not JSON is an error naming the service.
    pub fn json_value(&self) -> Result<Value, Error> {
        crate::json::parse(&self.body)
            .ok_or_else(|| Error::invalid_answer(&self.service, "not JSON"))
    }

    /// The body as JSON text, checked but not parsed: to pass an answer on as it is, into a
    /// claim, at the cost of one pass over it ([`RawJson`]). A body that is not JSON is an
    /// error naming the service.
    pub fn json_raw(&self) -> Result<RawJson, Error> {
        RawJson::parse(&self.body).ok_or_else(|| Error::invalid_answer(&self.service, "not JSON"))
    }

    /// The body as a typed value (through serde, which costs wasm size: prefer
    /// [`Response::json_value`] when a `Value` will do).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_value(self.json_value()?)
            .map_err(|err| Error::invalid_answer(&self.service, &err.to_string()))
    }

    /// `self` when the status is 2xx, otherwise an error with the status and, when the body is
    /// an OAuth-style `{"error": "invalid_client"}`, that code.
    pub fn error_for_status(self) -> Result<Response, Error> {
        if self.is_success() {
            return Ok(self);
        }
        Err(Error::Status {
            status: self.status,
            code: oauth_error_code(&self.body),
            service: self.service,
        })
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("service", &self.service)
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// An error code is echoed only when it looks like one (`invalid_client`), never free text.
fn oauth_error_code(body: &str) -> Option<String> {
    let value = crate::json::parse(body)?;
    let code = value.get("error")?.as_str()?;
    let plausible = !code.is_empty()
        && code.len() <= 64
        && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    plausible.then(|| code.to_owned())
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `Retry-After` in seconds (the HTTP-date form is not honoured: no retry then).
fn retry_after_ms(response: &Response) -> Option<u32> {
    match response.header("retry-after") {
        None => Some(RETRY_BACKOFF_MS),
        Some(value) => value
            .trim()
            .parse::<u32>()
            .ok()
            .map(|s| s.saturating_mul(1000)),
    }
}

/// The HTTP capability an Action gets through [`crate::Api::http`].
#[derive(Clone)]
pub struct Http {
    host: HostRef,
    policy: Rc<Policy>,
    /// When the login started, for what is left of the budget.
    started_ms: f64,
}

impl Http {
    pub(crate) fn new(host: HostRef, policy: Rc<Policy>) -> Self {
        let started_ms = host.now_ms();
        Http {
            host,
            policy,
            started_ms,
        }
    }

    /// Sends the request and reads the whole answer. Any status is an `Ok` response: use
    /// [`Response::error_for_status`] to treat non-2xx as failures.
    pub async fn send(&self, request: Request) -> Result<Response, Error> {
        request.check_transport_security(&self.policy)?;
        let timeout_ms = request.timeout_ms(&self.policy);
        let max_bytes = self.policy.max_response_bytes;
        let mut retries_left = self.policy.retries;
        loop {
            let result = self.host.send(&request, timeout_ms, max_bytes).await;
            let wait = match &result {
                Err(TransportFailure::Network) => Some(RETRY_BACKOFF_MS),
                Ok(answer) if matches!(answer.status, 429 | 502 | 503 | 504) => {
                    retry_after_ms(answer)
                }
                _ => None,
            };
            match wait {
                Some(wait) if retries_left > 0 && self.fits_in_budget(wait, timeout_ms) => {
                    retries_left -= 1;
                    self.host.sleep(wait).await;
                }
                _ => return finish(result, request, timeout_ms, max_bytes),
            }
        }
    }

    /// Checks up front that requests to `url` would be allowed (today: no plain `http://`
    /// beyond loopback unless the policy allows it), so a misconfigured URL fails the login
    /// before it spends a token request.
    pub fn check_url(&self, url: &BaseUrl, service: impl Into<Service>) -> Result<(), Error> {
        check_transport(&self.policy, url.is_plain_http_beyond_loopback(), || {
            service.into()
        })
    }

    /// Whether waiting `wait_ms` and then a whole request still ends within the budget.
    fn fits_in_budget(&self, wait_ms: u32, timeout_ms: u32) -> bool {
        let elapsed = self.host.now_ms() - self.started_ms;
        elapsed + f64::from(wait_ms) + f64::from(timeout_ms) <= f64::from(self.policy.budget_ms)
    }
}

/// Plain `http://` beyond loopback is refused unless the policy opts in: the request would
/// carry its credentials in clear text.
fn check_transport(
    policy: &Policy,
    plain_http_beyond_loopback: bool,
    service: impl FnOnce() -> Service,
) -> Result<(), Error> {
    if policy.allow_insecure_http || !plain_http_beyond_loopback {
        return Ok(());
    }
    Err(Error::InsecureUrl { service: service() })
}

fn finish(
    result: Result<Response, TransportFailure>,
    request: Request,
    timeout_ms: u32,
    max_bytes: usize,
) -> Result<Response, Error> {
    let service = request.service;
    match result {
        Ok(response) if response.body.len() > max_bytes => {
            Err(Error::AnswerTooLarge { service, max_bytes })
        }
        Ok(response) => Ok(Response {
            service,
            ..response
        }),
        Err(TransportFailure::Timeout) => Err(Error::Timeout {
            ms: timeout_ms,
            service,
        }),
        Err(TransportFailure::Network) => Err(Error::Network { service }),
        Err(TransportFailure::TooLarge) => Err(Error::AnswerTooLarge { service, max_bytes }),
    }
}

impl fmt::Debug for Http {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Http")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_errors_keep_only_plausible_oauth_codes() {
        let err = |body: &str| {
            Response::new(401, body)
                .error_for_status()
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(r#"{"error":"invalid_client","error_description":"Unauthorized"}"#),
            "remote service answered HTTP 401 (invalid_client)"
        );
        assert_eq!(
            err(r#"{"error":"Free text with AT-123"}"#),
            "remote service answered HTTP 401"
        );
        assert_eq!(err("<html>"), "remote service answered HTTP 401");
        assert!(Response::new(204, "").error_for_status().is_ok());
    }

    #[test]
    fn json_requests_set_content_type_and_debug_hides_credentials() {
        let request = Request::post("https://t.example/oauth/token")
            .service("token endpoint")
            .json(json!({"client_secret": "CS-1"}))
            .bearer("AT-1");
        assert_eq!(
            request.header_value("Content-Type"),
            Some("application/json")
        );
        assert_eq!(request.body(), Some(r#"{"client_secret":"CS-1"}"#));
        let debug = format!("{request:?}");
        assert!(
            !debug.contains("CS-1") && !debug.contains("AT-1"),
            "{debug}"
        );
    }

    #[test]
    fn plain_http_is_for_loopback_hosts_only() {
        let strict = Policy::default();
        let allowed = |url: &str| Request::get(url).check_transport_security(&strict).is_ok();
        for url in [
            "https://api.example.com/x",
            "http://127.0.0.1:4321/oauth/token",
            "http://127.5.6.7/",
            "http://localhost:8080",
            "HTTP://LOCALHOST/x",
            "http://[::1]:9000/x",
        ] {
            assert!(allowed(url), "{url}");
        }
        for url in [
            "http://api.example.com/x",
            "http://127.0.0.1.evil.example/",
            "http://localhost.evil.example/",
            "http://127.0.0.1@evil.example/",
            "http://[::2]/",
            "http://10.0.0.1/",
        ] {
            assert!(!allowed(url), "{url}");
        }
        let err = Request::get("http://api.example.com")
            .service("backend")
            .check_transport_security(&strict)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "backend URL is plain http:// to a host other than loopback (allow_insecure_http is off)"
        );
        let open = Policy {
            allow_insecure_http: true,
            ..Policy::default()
        };
        assert!(Request::get("http://api.example.com")
            .check_transport_security(&open)
            .is_ok());
    }

    #[test]
    fn headers_are_found_by_any_case_and_keep_colons_in_their_values() {
        let response = Response::json_body(200, &serde_json::json!({}))
            .with_header("Location", "https://elsewhere.example:8443/next")
            .with_header("Retry-After", "5");
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(
            response.header("LOCATION"),
            Some("https://elsewhere.example:8443/next")
        );
        assert_eq!(response.header("retry-after"), Some("5"));
        assert_eq!(response.header("etag"), None);
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        let with = |value: &str| Response::new(503, "").with_header("Retry-After", value);
        assert_eq!(
            retry_after_ms(&Response::new(503, "")),
            Some(RETRY_BACKOFF_MS)
        );
        assert_eq!(retry_after_ms(&with("2")), Some(2000));
        assert_eq!(retry_after_ms(&with("Wed, 21 Oct 2015 07:28:00 GMT")), None);
    }

    #[test]
    fn undecodable_json_answers_name_the_service_not_the_body() {
        let response = Response {
            service: "backend".into(),
            ..Response::new(200, r#"{"a": "AT-1"#)
        };
        let err = response
            .json::<serde_json::Value>()
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("backend sent an unusable answer: "),
            "{err}"
        );
        assert!(!err.contains("AT-1"), "{err}");
    }
}
