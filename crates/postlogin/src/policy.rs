//! How an Action's capabilities behave: `[package.metadata.postlogin]`, as the compiler bakes
//! it into the shim and the shim hands it to the wasm. `postlogin build` validates the values;
//! here a missing or mistyped one falls back to its default.

use serde_json::Value;

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

impl Policy {
    /// From the shim's `{requestTimeoutMs, budgetMs, retries, allowInsecureHttp, maxResponseBytes}`.
    pub fn from_json(value: &Value) -> Policy {
        let defaults = Policy::default();
        let number = |key: &str, default: u32| {
            value
                .get(key)
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(default)
        };
        Policy {
            request_timeout_ms: number("requestTimeoutMs", defaults.request_timeout_ms),
            budget_ms: number("budgetMs", defaults.budget_ms),
            retries: number("retries", defaults.retries),
            allow_insecure_http: value
                .get("allowInsecureHttp")
                .and_then(Value::as_bool)
                .unwrap_or(defaults.allow_insecure_http),
            max_response_bytes: number("maxResponseBytes", defaults.max_response_bytes as u32)
                as usize,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_shim_config_and_falls_back_to_defaults() {
        assert_eq!(Policy::from_json(&json!(null)), Policy::default());
        let policy = Policy::from_json(&json!({
            "requestTimeoutMs": 500, "budgetMs": 2000, "retries": 0,
            "allowInsecureHttp": true, "maxResponseBytes": 10, "unknown": 1,
        }));
        assert_eq!(
            policy,
            Policy {
                request_timeout_ms: 500,
                budget_ms: 2000,
                retries: 0,
                allow_insecure_http: true,
                max_response_bytes: 10
            }
        );
        let policy = Policy::from_json(&json!({"retries": "two", "budgetMs": -1}));
        assert_eq!((policy.retries, policy.budget_ms), (1, 10_000));
    }
}
