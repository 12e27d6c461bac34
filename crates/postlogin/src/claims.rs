//! Auth0's rules for custom claims (AUTH0.md §5), checked when a claim is set: a claim Auth0
//! would drop without a word is an error here, with the reason, instead of a missing claim in
//! production ("my claim is missing" is among the most common Auth0 support questions).

use crate::text::{decimal, join};
use crate::url::{before_any, split_scheme};
use crate::Error;

/// Names Auth0 drops silently from custom claims.
const RESERVED: &[&str] = &[
    "acr",
    "act",
    "active",
    "amr",
    "at_hash",
    "ath",
    "attest",
    "aud",
    "auth_time",
    "authorization_details",
    "azp",
    "c_hash",
    "client_id",
    "cnf",
    "cty",
    "dest",
    "entitlements",
    "events",
    "exp",
    "groups",
    "gty",
    "htm",
    "htu",
    "iat",
    "internalService",
    "iss",
    "jcard",
    "jku",
    "jti",
    "jwe",
    "jwk",
    "kid",
    "may_act",
    "mky",
    "nbf",
    "nonce",
    "object_id",
    "org_id",
    "org_name",
    "orig",
    "origid",
    "permissions",
    "roles",
    "rph",
    "s_hash",
    "sid",
    "sip_callid",
    "sip_cseq_num",
    "sip_date",
    "sip_from_tag",
    "sip_via_branch",
    "sub",
    "sub_jwk",
    "toe",
    "txn",
    "typ",
    "uuid",
    "vot",
    "vtm",
    "x5t#S256",
];

/// Hosts whose namespaces belong to Auth0.
const AUTH0_NAMESPACES: &[&str] = &["auth0.com", "webtask.io", "webtask.run"];

/// Custom claims (names + JSON values) a token may carry; above it the login fails.
pub const TOKEN_CLAIMS_LIMIT: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    Access,
    Id,
}

impl Token {
    fn label(self) -> &'static str {
        match self {
            Token::Access => "access",
            Token::Id => "ID",
        }
    }
}

/// Whether Auth0 would keep claim `name` on `token` for a login to `audience`.
pub(crate) fn check_name(name: &str, token: Token, audience: Option<&str>) -> Result<(), Error> {
    let refuse = |reason: &str| Err(Error::Claim(join!("claim `", name, "` ", reason)));
    if name.is_empty() {
        return refuse("has no name");
    }
    if name == "scope" {
        return refuse("cannot be set: Auth0 throws on it (scopes have their own API)");
    }
    if RESERVED.contains(&name) {
        return refuse(
            "is reserved and Auth0 would drop it silently; use a namespaced name such as \
             https://example.com/claim",
        );
    }
    if in_auth0_namespace(name) {
        return refuse("is in an Auth0 namespace and Auth0 would drop it silently");
    }
    if token == Token::Access && !is_namespaced(name) && audience.is_some_and(is_auth0_api) {
        return refuse(
            "needs a namespace on access tokens for Auth0's own APIs; Auth0 would drop it",
        );
    }
    Ok(())
}

/// Whether `bytes` of custom claims fit on `token`.
pub(crate) fn check_budget(bytes: usize, token: Token) -> Result<(), Error> {
    if bytes <= TOKEN_CLAIMS_LIMIT {
        return Ok(());
    }
    Err(Error::Claim(join!(
        "custom claims on the ",
        token.label(),
        " token would be ",
        decimal(bytes as u64),
        " bytes, over Auth0's limit of ",
        decimal(TOKEN_CLAIMS_LIMIT as u64),
        ": the login would fail"
    )))
}

fn is_namespaced(name: &str) -> bool {
    split_scheme(name).is_some() || name.starts_with("urn:")
}

fn in_auth0_namespace(name: &str) -> bool {
    if name.starts_with("urn:auth0") {
        return true;
    }
    let Some((_, rest)) = split_scheme(name) else {
        return false;
    };
    let host = before_any(rest, b"/:?#").as_bytes();
    AUTH0_NAMESPACES.iter().any(|namespace| {
        let split = host.len().checked_sub(namespace.len());
        split
            .and_then(|at| host.split_at_checked(at))
            .is_some_and(|(head, tail)| {
                tail.eq_ignore_ascii_case(namespace.as_bytes())
                    && (head.is_empty() || head.ends_with(b"."))
            })
    })
}

/// `https://TENANT/api/v2/` and `https://TENANT/mfa/` (`/userinfo` is exempt).
fn is_auth0_api(audience: &str) -> bool {
    audience.ends_with("/api/v2/") || audience.ends_with("/mfa/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, token: Token, audience: Option<&str>) -> Result<(), String> {
        check_name(name, token, audience).map_err(|err| err.to_string())
    }

    #[test]
    fn namespaced_and_ordinary_names_pass() {
        for name in [
            "https://example.com/plan",
            "http://test.org/extra_info",
            "urn:acme:plan",
            "email",
            "plan",
        ] {
            assert_eq!(check(name, Token::Id, None), Ok(()), "{name}");
            assert_eq!(
                check(name, Token::Access, Some("https://api.example.com")),
                Ok(()),
                "{name}"
            );
        }
    }

    #[test]
    fn every_reserved_name_is_refused_with_the_reason() {
        for name in RESERVED {
            let err = check(name, Token::Access, None).unwrap_err();
            assert!(
                err.starts_with(&format!("claim `{name}` is reserved")),
                "{err}"
            );
        }
        assert_eq!(
            check("scope", Token::Access, None).unwrap_err(),
            "claim `scope` cannot be set: Auth0 throws on it (scopes have their own API)"
        );
        assert!(check("", Token::Id, None).is_err());
    }

    #[test]
    fn auth0_namespaces_are_refused() {
        for name in [
            "https://auth0.com/x",
            "https://tenant.eu.auth0.com/claim",
            "http://WEBTASK.IO/a",
            "https://x.webtask.run/b",
            "urn:auth0:thing",
        ] {
            let err = check(name, Token::Id, None).unwrap_err();
            assert!(
                err.ends_with("is in an Auth0 namespace and Auth0 would drop it silently"),
                "{err}"
            );
        }
        assert_eq!(check("https://notauth0.com/x", Token::Id, None), Ok(()));
    }

    #[test]
    fn auth0_apis_need_namespaced_access_token_claims() {
        let management = Some("https://tenant.auth0.com/api/v2/");
        assert!(check("plan", Token::Access, management).is_err());
        assert!(check("plan", Token::Access, Some("https://tenant.auth0.com/mfa/")).is_err());
        assert_eq!(
            check(
                "plan",
                Token::Access,
                Some("https://tenant.auth0.com/userinfo")
            ),
            Ok(())
        );
        assert_eq!(
            check("https://example.com/plan", Token::Access, management),
            Ok(())
        );
        assert_eq!(check("plan", Token::Id, management), Ok(()));
    }

    #[test]
    fn the_per_token_budget_is_enforced() {
        assert!(check_budget(TOKEN_CLAIMS_LIMIT, Token::Access).is_ok());
        assert_eq!(
            check_budget(TOKEN_CLAIMS_LIMIT + 1, Token::Id)
                .unwrap_err()
                .to_string(),
            "custom claims on the ID token would be 100001 bytes, over Auth0's limit of 100000: \
             the login would fail"
        );
    }
}
