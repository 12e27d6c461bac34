//! Every way an Action can fail, as a typed value.
//!
//! The `Display` text of an error becomes the deny reason Auth0 sends to the application
//! (`error_description`), so it is short, says what failed, and never carries a secret value, a
//! token or a response body. Values that come from serde are stripped of quoted literals for the
//! same reason: a type error on a string would otherwise echo the string.

use std::fmt;

use crate::text::{decimal, join};

/// The name of a remote party in error messages ("token endpoint", "backend"): requests are
/// labelled with it so that no URL (which may carry an email address) ends up in a deny reason.
pub type Service = std::borrow::Cow<'static, str>;

#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The event Auth0 passed does not have the shape the Action needs.
    MalformedEvent(String),

    /// A secret the Action reads is not configured.
    MissingSecret(String),

    /// A secret the Action reads is configured but empty.
    EmptySecret(String),

    /// A URL (from a secret or from code) cannot be used.
    InvalidUrl { what: String, reason: &'static str },

    /// The remote party did not answer within the request's timeout.
    Timeout { service: Service, ms: u32 },

    /// The request could not be sent or its answer could not be read.
    Network { service: Service },

    /// The remote party answered with an unexpected status.
    Status {
        service: Service,
        status: u16,
        /// An OAuth-style error code (`invalid_client`), kept only when it looks like one.
        code: Option<String>,
    },

    /// A request would have gone over plain `http://` to a host other than loopback.
    InsecureUrl { service: Service },

    /// The answer is larger than the policy's `max_response_bytes`.
    AnswerTooLarge { service: Service, max_bytes: usize },

    /// The remote party answered 2xx with a body the Action cannot use.
    InvalidAnswer { service: Service, detail: String },

    /// A custom claim Auth0 would drop, refuse or choke on.
    Claim(String),

    /// A call on Auth0's `api` that Auth0 would refuse (it throws), or that would not do what it
    /// says: `accessToken.addScope: the scope contains whitespace`. The reasons are fixed texts,
    /// so no argument (a token, a secret) is ever quoted.
    InvalidCall {
        api: &'static str,
        reason: &'static str,
    },

    /// A method of Auth0's `api` that answers a value (`redirect.validateToken`…) threw.
    CallFailed { api: &'static str, message: String },

    /// An error the Action itself raised with [`Error::action`].
    Action(String),
}

impl Error {
    /// An error of the Action's own making; its text is the deny reason, so keep secrets out.
    pub fn action(message: impl Into<String>) -> Self {
        Error::Action(message.into())
    }

    pub(crate) fn invalid_answer(service: &Service, detail: &str) -> Self {
        Error::InvalidAnswer {
            service: service.clone(),
            detail: without_string_literals(detail),
        }
    }

    /// The text of the error, as the deny reason shows it (and as `Display` prints it). Built
    /// without `core::fmt`, so that an Action carries no formatting code (see `text`).
    pub fn reason(&self) -> String {
        match self {
            Error::MalformedEvent(detail) => join!("malformed event: ", detail),
            Error::MissingSecret(name) => join!("missing secret ", name),
            Error::EmptySecret(name) => join!("secret ", name, " is empty"),
            Error::InvalidUrl { what, reason } => join!(what, " is not a usable URL: ", reason),
            Error::Timeout { service, ms } => join!(
                service,
                " did not answer within ",
                decimal(u64::from(*ms)),
                " ms"
            ),
            Error::Network { service } => join!(service, " could not be reached"),
            Error::Status {
                service,
                status,
                code,
            } => {
                let mut text = join!(service, " answered HTTP ", decimal(u64::from(*status)));
                if let Some(code) = code {
                    text.push_str(&join!(" (", code, ")"));
                }
                text
            }
            Error::InsecureUrl { service } => join!(
                service,
                " URL is plain http:// to a host other than loopback (allow_insecure_http is off)"
            ),
            Error::AnswerTooLarge { service, max_bytes } => join!(
                service,
                " sent an answer over ",
                decimal(*max_bytes as u64),
                " bytes"
            ),
            Error::InvalidAnswer { service, detail } => {
                join!(service, " sent an unusable answer: ", detail)
            }
            Error::Claim(text) | Error::Action(text) => text.clone(),
            Error::InvalidCall { api, reason } => join!(api, ": ", reason),
            Error::CallFailed { api, message } => join!(api, " failed: ", message),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason())
    }
}

impl std::error::Error for Error {}

/// Removes every `"…"` literal (and the space before it) from a serde message:
/// `invalid type: string "AT-1234", expected u64` → `invalid type: string, expected u64`.
pub(crate) fn without_string_literals(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some((before, quoted)) = rest.split_once('"') {
        let Some((_, after)) = quoted.split_once('"') else {
            break;
        };
        out.push_str(before.trim_end_matches(' '));
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_are_removed_from_serde_messages() {
        assert_eq!(
            without_string_literals(r#"invalid type: string "AT-secret", expected a boolean"#),
            "invalid type: string, expected a boolean"
        );
        assert_eq!(without_string_literals(r#"a "x" b "y""#), "a b");
        assert_eq!(
            without_string_literals("missing field `user`"),
            "missing field `user`"
        );
        assert_eq!(without_string_literals(r#"odd " quote"#), r#"odd " quote"#);
    }

    #[test]
    fn status_errors_name_the_service_and_code() {
        let err = Error::Status {
            service: "token endpoint".into(),
            status: 401,
            code: Some("invalid_client".into()),
        };
        assert_eq!(
            err.to_string(),
            "token endpoint answered HTTP 401 (invalid_client)"
        );
        let err = Error::Status {
            service: "backend".into(),
            status: 503,
            code: None,
        };
        assert_eq!(err.to_string(), "backend answered HTTP 503");
    }
}
