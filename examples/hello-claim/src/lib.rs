//! The smallest useful Action, and the floor of postlogin's artifact size: it sets
//! `https://example.com/hello = "world"` on both tokens.
//!
//! It does not take the event, so the compiled Action never parses it: an Action pays only for
//! what it uses (add `event: &Event` as the first parameter to read it).

use postlogin::{Api, Error};

pub const CLAIM: &str = "https://example.com/hello";

#[postlogin::action]
pub async fn on_execute_post_login(api: &mut Api) -> Result<(), Error> {
    api.access_token().set_custom_claim(CLAIM, "world")?;
    api.id_token().set_custom_claim(CLAIM, "world")
}

#[cfg(test)]
mod tests {
    use super::*;
    use postlogin::testing::Harness;
    use postlogin::{json, Command};

    #[test]
    fn says_hello_on_both_tokens() {
        let run = Harness::new().run(json!({"user": {"user_id": "auth0|1"}}), async |_, api| {
            on_execute_post_login(api).await
        });
        assert!(run.result.is_ok(), "{:?}", run.result);
        assert_eq!(
            run.commands,
            [
                Command::new(
                    "accessToken.setCustomClaim",
                    vec![CLAIM.into(), json!("world")]
                ),
                Command::new("idToken.setCustomClaim", vec![CLAIM.into(), json!("world")]),
            ]
        );
    }

    #[test]
    fn auth0_api_audiences_still_get_the_namespaced_claim() {
        let event = json!({
            "user": {"user_id": "auth0|1"},
            "resource_server": {"identifier": "https://tenant.auth0.com/api/v2/"},
        });
        let run = Harness::new().run(event, async |_, api| on_execute_post_login(api).await);
        assert!(run.result.is_ok(), "{:?}", run.result);
        assert_eq!(run.access_token_claim(CLAIM), Some(&json!("world")));
    }
}
