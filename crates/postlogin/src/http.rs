//! Outgoing HTTP: a request builder, a fully read response, and the transport behind them.
//!
//! In WebAssembly the transport is the runtime's global `fetch` (through gloo-net, see
//! `http/fetch.rs`); natively it is whatever the test harness scripts. The Action's code is the
//! same in both.

#[cfg(target_arch = "wasm32")]
mod fetch;
#[cfg(target_arch = "wasm32")]
pub(crate) use fetch::FetchTransport;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Service;
use crate::Error;

/// Auth0 advises HTTP timeouts well under its 20 s flow limit; peers use 1–5 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(3000);

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
    timeout: Duration,
    service: Service,
}

impl Request {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            timeout: DEFAULT_TIMEOUT,
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
        self.header("authorization", format!("Bearer {token}"))
    }

    /// A JSON body, with its content type. For a typed struct, `serde_json::to_value(&it)?`.
    pub fn json(mut self, body: impl Into<Value>) -> Self {
        self.body = Some(crate::json::to_string(&body.into()));
        self.header("content-type", "application/json")
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
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

    pub fn timeout_duration(&self) -> Duration {
        self.timeout
    }

    pub fn service_name(&self) -> &str {
        &self.service
    }

    fn timeout_ms(&self) -> u32 {
        u32::try_from(self.timeout.as_millis()).unwrap_or(u32::MAX)
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
    headers: Vec<(String, String)>,
    body: String,
    service: Service,
}

impl Response {
    /// A response as a transport or a test fake produces it.
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
            service: Service::Borrowed("remote service"),
        }
    }

    /// A JSON response, as a test fake would send it.
    pub fn json_body(status: u16, body: &Value) -> Self {
        Response::new(status, body.to_string()).with_header("content-type", "application/json")
    }

    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    pub fn text(&self) -> &str {
        &self.body
    }

    /// The body as a JSON value; a body that is not JSON is an error naming the service.
    pub fn json_value(&self) -> Result<Value, Error> {
        crate::json::parse(&self.body)
            .ok_or_else(|| Error::invalid_answer(&self.service, "not JSON"))
    }

    /// The body as a typed value (through serde, which costs wasm size: prefer
    /// [`Response::json_value`] when a `Value` will do).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_value(self.json_value()?)
            .map_err(|err| Error::invalid_answer(&self.service, err))
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

/// Why a transport produced no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportFailure {
    Timeout,
    Network,
}

pub type TransportFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Response, TransportFailure>> + 'a>>;

/// What actually sends requests: `fetch` in WebAssembly, a scripted fake in native tests.
pub trait Transport {
    fn send<'a>(&'a self, request: &'a Request) -> TransportFuture<'a>;
}

/// The HTTP capability an Action gets through [`crate::Api::http`].
#[derive(Clone)]
pub struct Http {
    transport: Rc<dyn Transport>,
}

impl Http {
    pub fn new(transport: Rc<dyn Transport>) -> Self {
        Http { transport }
    }

    /// Sends the request and reads the whole answer. Any status is an `Ok` response: use
    /// [`Response::error_for_status`] to treat non-2xx as failures.
    pub async fn send(&self, request: Request) -> Result<Response, Error> {
        match self.transport.send(&request).await {
            Ok(mut response) => {
                response.service = request.service;
                Ok(response)
            }
            Err(TransportFailure::Timeout) => Err(Error::Timeout {
                ms: request.timeout_ms(),
                service: request.service,
            }),
            Err(TransportFailure::Network) => Err(Error::Network {
                service: request.service,
            }),
        }
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
