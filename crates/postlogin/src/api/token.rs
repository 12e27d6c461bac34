//! `api.accessToken` and `api.idToken`: custom claims (checked against Auth0's rules, AUTH0.md
//! §5) and the access token's scopes.

use serde_json::Value;

use super::{check, Api};
use crate::claims::{self, Token};
use crate::raw_json::{JsonArgument, RawJson};
use crate::Error;

/// Auth0 throws on longer scopes.
const SCOPE_MAX_CHARS: usize = 280;

/// `api.accessToken`
pub struct AccessTokenApi<'a> {
    pub(super) api: &'a mut Api,
}

/// `api.idToken`
pub struct IdTokenApi<'a> {
    pub(super) api: &'a mut Api,
}

impl AccessTokenApi<'_> {
    /// `setCustomClaim(name, value)`: any JSON value (`json!(…)`, a `Value`, a string, a
    /// number…). For a typed struct, `serde_json::to_value(&it)?` first: taking `impl Serialize`
    /// here would put serde's value serializer into every Action's wasm, used or not.
    ///
    /// A claim Auth0 would drop silently (a reserved name such as `roles`, an Auth0 namespace, a
    /// bare name on an access token for Auth0's own APIs), `scope`, or one that takes the
    /// token's custom claims over 100 KB is an error, not a claim that vanishes in production.
    ///
    /// A backend's answer passed on unchanged is cheapest as [`RawJson`]
    /// ([`Response::json_raw`](crate::Response::json_raw)): it is never parsed into a `Value`.
    pub fn set_custom_claim(self, name: &str, value: impl JsonArgument) -> Result<(), Error> {
        set_custom_claim(self.api, Token::Access, name, value.into_parts())
    }

    /// `addScope(scope)`: one scope token; empty, whitespace or over 280 characters is refused
    /// (Auth0 throws on them).
    pub fn add_scope(self, scope: &str) -> Result<(), Error> {
        scope_call(self.api, "accessToken.addScope", scope)
    }

    /// `removeScope(scope)`, with the same rules as [`AccessTokenApi::add_scope`].
    pub fn remove_scope(self, scope: &str) -> Result<(), Error> {
        scope_call(self.api, "accessToken.removeScope", scope)
    }
}

impl IdTokenApi<'_> {
    /// `setCustomClaim(name, value)`, with the same checks as on the access token.
    pub fn set_custom_claim(self, name: &str, value: impl JsonArgument) -> Result<(), Error> {
        set_custom_claim(self.api, Token::Id, name, value.into_parts())
    }
}

fn set_custom_claim(
    api: &mut Api,
    token: Token,
    name: &str,
    (value, raw): (Value, Option<RawJson>),
) -> Result<(), Error> {
    claims::check_name(name, token, api.audience.as_deref())?;
    let is_access = token == Token::Access;
    let size = name.len()
        + raw.as_ref().map_or_else(
            || crate::json::to_string(&value).len(),
            RawJson::compact_len,
        );
    let sizes = &mut api.claim_sizes;
    sizes.retain(|(access, claim, _)| !(*access == is_access && claim == name));
    let others: usize = sizes
        .iter()
        .filter(|(access, _, _)| *access == is_access)
        .map(|(_, _, bytes)| bytes)
        .sum();
    claims::check_budget(others + size, token)?;
    sizes.push((is_access, name.to_owned(), size));
    let path = if is_access {
        "accessToken.setCustomClaim"
    } else {
        "idToken.setCustomClaim"
    };
    api.record_sent_as(path, vec![name.into(), value], raw);
    Ok(())
}

fn scope_call(api: &mut Api, path: &'static str, scope: &str) -> Result<(), Error> {
    check(!scope.is_empty(), path, "the scope is empty")?;
    check(
        !scope.chars().any(char::is_whitespace),
        path,
        "the scope contains whitespace",
    )?;
    // Auth0 counts as JavaScript does: UTF-16 code units.
    check(
        scope.encode_utf16().count() <= SCOPE_MAX_CHARS,
        path,
        "the scope is over 280 characters",
    )?;
    api.record(path, vec![scope.into()]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::api::{Api, Command};
    use crate::testing::Harness;
    use crate::RawJson;
    use serde_json::json;

    #[test]
    fn claims_are_checked_when_set_and_counted_per_token() {
        let run = Harness::new().run(
            json!({"user": {"user_id": "u"}}),
            async |_, api: &mut Api| {
                let big = "x".repeat(60_000);
                api.access_token()
                    .set_custom_claim("https://e.com/a", big.as_str())?;
                // Setting the same claim again replaces it: still one 60 kB claim.
                api.access_token()
                    .set_custom_claim("https://e.com/a", big.as_str())?;
                // Each token has its own budget.
                api.id_token()
                    .set_custom_claim("https://e.com/b", big.as_str())?;
                api.access_token().set_custom_claim("https://e.com/c", big)
            },
        );
        assert_eq!(
            run.failure().as_deref(),
            Some(
                "custom claims on the access token would be 120034 bytes, over Auth0's limit of \
                 100000: the login would fail"
            )
        );
        assert_eq!(run.commands.len(), 3);
        assert_eq!(run.commands[2].api, "idToken.setCustomClaim");

        let run = Harness::new().run(
            json!({"user": {"user_id": "u"}, "resource_server": {"identifier": "https://t.auth0.com/api/v2/"}}),
            async |_, api: &mut Api| api.access_token().set_custom_claim("plan", "pro"),
        );
        assert_eq!(
            run.failure().as_deref(),
            Some(
                "claim `plan` needs a namespace on access tokens for Auth0's own APIs; Auth0 \
                 would drop it"
            )
        );
    }

    #[test]
    fn raw_json_claims_reach_the_shim_as_they_came_and_weigh_what_they_hold() {
        let answer = "{ \"plan\": \"pro\",\n  \"seats\": [1, 2] }";
        let run = Harness::new().run(
            json!({"user": {"user_id": "u"}}),
            async |_, api: &mut Api| {
                let raw = RawJson::parse(answer).unwrap();
                api.access_token()
                    .set_custom_claim("https://e.com/a", raw.clone())?;
                api.id_token().set_custom_claim("https://e.com/a", raw)
            },
        );
        let value = json!({"plan": "pro", "seats": [1, 2]});
        assert_eq!(
            run.commands,
            [
                Command::new(
                    "accessToken.setCustomClaim",
                    vec![json!("https://e.com/a"), value.clone()]
                ),
                Command::new(
                    "idToken.setCustomClaim",
                    vec![json!("https://e.com/a"), value]
                ),
            ]
        );
        // Sent once, as it came, for both commands to share.
        assert_eq!(
            run.outcome().to_json(),
            format!(
                r#"[null,[],["accessToken.setCustomClaim",null,"https://e.com/a",{answer}],["idToken.setCustomClaim",0,"https://e.com/a"]]"#
            )
        );

        // Different texts are each sent with their command.
        let run = Harness::new().run(
            json!({"user": {"user_id": "u"}}),
            async |_, api: &mut Api| {
                api.access_token()
                    .set_custom_claim("https://e.com/a", RawJson::parse("[1]").unwrap())?;
                api.id_token()
                    .set_custom_claim("https://e.com/a", RawJson::parse("[2]").unwrap())
            },
        );
        assert_eq!(
            run.outcome().to_json(),
            r#"[null,[],["accessToken.setCustomClaim",null,"https://e.com/a",[1]],["idToken.setCustomClaim",null,"https://e.com/a",[2]]]"#
        );

        // Counted without the whitespace between tokens: 99,990 bytes of values, padded out
        // to twice that, still fit; a value over the budget is refused however it came.
        let padded = format!("[\"{}\"{}]", "x".repeat(99_960), " ".repeat(99_990));
        let over = format!("[\"{}\"]", "x".repeat(99_999));
        for (text, failure) in [
            (padded, None),
            (
                over,
                Some(
                    "custom claims on the access token would be 100018 bytes, over Auth0's \
                     limit of 100000: the login would fail",
                ),
            ),
        ] {
            let run = Harness::new().run(
                json!({"user": {"user_id": "u"}}),
                async |_, api: &mut Api| {
                    api.access_token()
                        .set_custom_claim("https://e.com/b", RawJson::parse(&text).unwrap())
                },
            );
            assert_eq!(run.failure().as_deref(), failure);
        }
    }

    #[test]
    fn scopes_are_single_tokens_of_at_most_280_characters() {
        let longest = "s".repeat(280);
        let run = Harness::new().run(
            json!({"user": {"user_id": "u"}}),
            async |_, api: &mut Api| {
                api.access_token().add_scope("read:reports")?;
                api.access_token().add_scope(&longest)?;
                api.access_token().remove_scope("write:reports")
            },
        );
        assert!(run.result.is_ok(), "{:?}", run.result);
        assert_eq!(
            run.commands,
            [
                Command::new("accessToken.addScope", vec![json!("read:reports")]),
                Command::new("accessToken.addScope", vec![json!(longest)]),
                Command::new("accessToken.removeScope", vec![json!("write:reports")]),
            ]
        );

        let too_long = "é".repeat(281);
        for (scope, reason) in [
            ("", "the scope is empty"),
            ("read write", "the scope contains whitespace"),
            ("read\twrite", "the scope contains whitespace"),
            (too_long.as_str(), "the scope is over 280 characters"),
        ] {
            let run = Harness::new().run(
                json!({"user": {"user_id": "u"}}),
                async |_, api: &mut Api| api.access_token().remove_scope(scope),
            );
            assert_eq!(
                run.failure(),
                Some(format!("accessToken.removeScope: {reason}"))
            );
            assert_eq!(run.commands, []);
        }
    }
}
