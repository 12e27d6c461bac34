//! How an Action's capabilities behave: `[package.metadata.postlogin]`, as the compiler bakes
//! it into the shim and the shim hands it to the wasm once per instance (`export::configure`).
//! `postlogin build` validates the values.

/// Build one with `Policy { retries: 0, ..Policy::default() }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Per-request timeout (a request may set its own).
    pub request_timeout_ms: u32,
    /// The whole Action's time budget; retries must fit in what is left of it.
    pub budget_ms: u32,
    /// Retries on network errors, 429, 502, 503 and 504.
    pub retries: u32,
    /// Whether plain `http://` may reach hosts other than loopback.
    pub allow_insecure_http: bool,
    /// Answers larger than this are refused.
    pub max_response_bytes: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            request_timeout_ms: 3000,
            budget_ms: 10_000,
            retries: 1,
            allow_insecure_http: false,
            max_response_bytes: 64 * 1024,
        }
    }
}
