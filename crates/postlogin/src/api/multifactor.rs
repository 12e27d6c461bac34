//! `api.multifactor`: requiring multi-factor authentication by provider.

use serde_json::Value;

use super::{check, object, Api};
use crate::Error;

/// The providers `api.multifactor.enable` takes (factor names such as `otp` belong to
/// [`crate::api::AuthenticationApi`]).
const PROVIDERS: &[&str] = &["any", "duo", "google-authenticator", "guardian", "none"];

/// `api.multifactor`
pub struct MultifactorApi<'a> {
    pub(super) api: &'a mut Api,
}

impl MultifactorApi<'_> {
    /// `enable(provider, {allowRememberBrowser})`: the user must pass MFA with `provider`
    /// (`any`, `duo`, `google-authenticator`, `guardian`, or `none` to skip it), and may let
    /// the browser be remembered. Another name is refused; for a specific factor, use
    /// [`crate::Api::authentication`]. Duo's `providerOptions` (whose `skey` is a secret) are not
    /// passed: configure Duo in the tenant.
    pub fn enable(self, provider: &str, allow_remember_browser: bool) -> Result<(), Error> {
        check(
            PROVIDERS.contains(&provider),
            "multifactor.enable",
            "unknown provider; expected any, duo, google-authenticator, guardian or none (for a \
             factor such as otp, use authentication.challengeWith)",
        )?;
        let options = object(vec![(
            "allowRememberBrowser",
            Value::Bool(allow_remember_browser),
        )]);
        self.api
            .record("multifactor.enable", vec![provider.into(), options]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::api::{Api, Command};
    use crate::testing::Harness;
    use serde_json::json;

    #[test]
    fn providers_are_checked_by_name() {
        let run = Harness::new().run(
            json!({"user": {"user_id": "u"}}),
            async |_, api: &mut Api| api.multifactor().enable("any", true),
        );
        assert_eq!(
            run.commands,
            [Command::new(
                "multifactor.enable",
                vec![json!("any"), json!({"allowRememberBrowser": true})]
            )]
        );
        for provider in ["otp", "Guardian", ""] {
            let run = Harness::new().run(
                json!({"user": {"user_id": "u"}}),
                async |_, api: &mut Api| api.multifactor().enable(provider, false),
            );
            let failure = run.failure().unwrap();
            assert!(
                failure.starts_with("multifactor.enable: unknown provider"),
                "{failure}"
            );
        }
    }
}
