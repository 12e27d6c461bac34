//! The user's roles (`event.authorization.roles`, from Auth0's RBAC) as the claim
//! `https://example.com/roles` on the access and the ID token, so APIs and applications can
//! authorize without calling the Management API.
//!
//! The claim is namespaced on purpose: `roles` is one of the names Auth0 drops silently from
//! custom claims, and the SDK refuses it rather than let the claim vanish in production.

use postlogin::{Api, Error, Event, Value};

/// A URL namespace you control; Auth0 keeps claims under it.
pub const CLAIM: &str = "https://example.com/roles";

#[postlogin::action]
pub async fn on_execute_post_login(event: &Event, api: &mut Api) -> Result<(), Error> {
    // A user without roles gets an empty list: "no roles" is an answer, not a missing claim.
    let roles = event
        .authorization
        .as_ref()
        .map(|authorization| authorization.roles.as_slice())
        .unwrap_or_default();
    set_roles(api, CLAIM, roles)
}

/// Sets `claim` to `roles` on both tokens.
pub fn set_roles(api: &mut Api, claim: &str, roles: &[String]) -> Result<(), Error> {
    let roles = Value::Array(roles.iter().map(|role| role.as_str().into()).collect());
    api.access_token().set_custom_claim(claim, roles.clone())?;
    api.id_token().set_custom_claim(claim, roles)
}

#[cfg(test)]
mod tests {
    use super::*;
    use postlogin::json;
    use postlogin::testing::Harness;

    fn login(authorization: Value) -> Value {
        json!({"user": {"user_id": "auth0|1"}, "authorization": authorization})
    }

    #[test]
    fn roles_go_to_both_tokens_in_order() {
        let run = Harness::new().run(
            login(json!({"roles": ["admin", "billing"]})),
            on_execute_post_login,
        );
        assert!(run.result.is_ok(), "{:?}", run.result);
        let roles = json!(["admin", "billing"]);
        assert_eq!(run.access_token_claim(CLAIM), Some(&roles));
        assert_eq!(run.id_token_claim(CLAIM), Some(&roles));
        assert_eq!(run.commands.len(), 2);
    }

    #[test]
    fn no_roles_is_an_empty_list() {
        for event in [login(json!({"roles": []})), login(Value::Null)] {
            let run = Harness::new().run(event, on_execute_post_login);
            assert_eq!(run.access_token_claim(CLAIM), Some(&json!([])));
            assert_eq!(run.id_token_claim(CLAIM), Some(&json!([])));
        }
    }

    #[test]
    fn the_bare_name_roles_is_refused_with_the_reason() {
        let run = Harness::new().run(
            login(json!({"roles": ["admin"]})),
            async |event: &Event, api: &mut Api| {
                let roles = &event.authorization.as_ref().unwrap().roles;
                set_roles(api, "roles", roles)
            },
        );
        assert_eq!(
            run.failure().as_deref(),
            Some(
                "claim `roles` is reserved and Auth0 would drop it silently; use a namespaced \
                 name such as https://example.com/claim"
            )
        );
        // Nothing is applied: the login is denied rather than issued without the roles.
        assert_eq!(run.outcome().commands, []);
    }

    #[test]
    fn the_namespaced_claim_is_kept_even_for_auth0_apis() {
        let mut event = login(json!({"roles": ["admin"]}));
        event["resource_server"] = json!({"identifier": "https://tenant.auth0.com/api/v2/"});
        let run = Harness::new().run(event, on_execute_post_login);
        assert!(run.result.is_ok(), "{:?}", run.result);
        assert_eq!(run.access_token_claim(CLAIM), Some(&json!(["admin"])));
    }

    #[test]
    fn a_malformed_role_list_denies_and_names_the_field() {
        let run = Harness::new().run(login(json!({"roles": ["admin", 7]})), on_execute_post_login);
        assert_eq!(
            run.failure().as_deref(),
            Some("malformed event: authorization.roles[1]: expected a string, found a number")
        );
    }
}
