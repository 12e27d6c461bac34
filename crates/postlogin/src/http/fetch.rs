//! The WebAssembly transport: the Actions runtime's global `fetch`, through gloo-net.

use gloo_net::http::{Method as FetchMethod, RequestBuilder};
use web_sys::{AbortSignal, RequestRedirect};

use super::{Method, Request, Response, Transport, TransportFailure, TransportFuture};

pub(crate) struct FetchTransport;

impl Transport for FetchTransport {
    fn send<'a>(&'a self, request: &'a Request) -> TransportFuture<'a> {
        Box::pin(send(request))
    }
}

async fn send(request: &Request) -> Result<Response, TransportFailure> {
    // One signal covers connecting, the headers and reading the body.
    let signal = AbortSignal::timeout_with_u32(request.timeout_ms());
    let failure = |_| {
        if signal.aborted() {
            TransportFailure::Timeout
        } else {
            TransportFailure::Network
        }
    };
    let mut builder = RequestBuilder::new(request.url())
        .method(fetch_method(request.method()))
        .abort_signal(Some(&signal))
        // A redirect would carry the bearer token to wherever it points: it is an answer to
        // report, not to follow.
        .redirect(RequestRedirect::Manual);
    for (name, value) in request.headers() {
        builder = builder.header(name, value);
    }
    let fetch_request = match request.body() {
        Some(body) => builder.body(body),
        None => builder.build(),
    }
    .map_err(|_| TransportFailure::Network)?;
    let answer = fetch_request.send().await.map_err(failure)?;
    let status = answer.status();
    let headers = answer.headers().entries().collect();
    let body = answer.text().await.map_err(failure)?;
    Ok(Response {
        headers,
        ..Response::new(status, body)
    })
}

fn fetch_method(method: Method) -> FetchMethod {
    match method {
        Method::Get => FetchMethod::GET,
        Method::Post => FetchMethod::POST,
        Method::Put => FetchMethod::PUT,
        Method::Patch => FetchMethod::PATCH,
        Method::Delete => FetchMethod::DELETE,
    }
}
