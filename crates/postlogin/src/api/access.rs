//! `api.access`: ending the login as `access_denied`.

use super::{check, Api};
use crate::Error;

/// `api.access`
pub struct AccessApi<'a> {
    pub(super) api: &'a mut Api,
}

impl AccessApi<'_> {
    /// `deny(reason)`: the login ends as `access_denied` with this reason after this Action, and
    /// later Actions do not run. The reason reaches the application as `error_description`: say
    /// what the user can do, and keep secrets and internals out of it. An empty reason is refused
    /// (the application would get a denial it cannot explain).
    pub fn deny(self, reason: &str) -> Result<(), Error> {
        check(
            !reason.trim().is_empty(),
            "access.deny",
            "the reason is empty",
        )?;
        self.api.record("access.deny", vec![reason.into()]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::api::{Api, Command};
    use crate::testing::Harness;
    use serde_json::json;

    #[test]
    fn a_denial_needs_a_reason() {
        let run = Harness::new().run(
            json!({"user": {"user_id": "u"}}),
            async |_, api: &mut Api| api.access().deny("verify your email first"),
        );
        assert_eq!(
            run.commands,
            [Command::new(
                "access.deny",
                vec![json!("verify your email first")]
            )]
        );
        assert_eq!(run.denial(), Some("verify your email first"));
        let run = Harness::new().run(
            json!({"user": {"user_id": "u"}}),
            async |_, api: &mut Api| api.access().deny(" "),
        );
        assert_eq!(
            run.failure().as_deref(),
            Some("access.deny: the reason is empty")
        );
    }
}
