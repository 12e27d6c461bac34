//! `api.user`: app and user metadata, written by Auth0 at the end of the flow.

use serde_json::Value;

use super::{check, Api};
use crate::raw_json::{JsonArgument, RawJson};
use crate::Error;

/// `api.user`
pub struct UserApi<'a> {
    pub(super) api: &'a mut Api,
}

impl UserApi<'_> {
    /// `setAppMetadata(key, value)`: data the user cannot change (roles, plan…). `Value::Null`
    /// removes the key. Auth0 batches the writes at the end of the flow; they count against the
    /// Management API's rate limits, so write only what changed.
    pub fn set_app_metadata(self, key: &str, value: impl JsonArgument) -> Result<(), Error> {
        set_metadata(self.api, "user.setAppMetadata", key, value.into_parts())
    }

    /// `setUserMetadata(key, value)`: the user's own preferences. `Value::Null` removes the key.
    pub fn set_user_metadata(self, key: &str, value: impl JsonArgument) -> Result<(), Error> {
        set_metadata(self.api, "user.setUserMetadata", key, value.into_parts())
    }
}

/// Auth0's metadata field names may not be empty, contain `.` or start with `$` (the write
/// would fail at the end of the flow, after every Action ran).
fn set_metadata(
    api: &mut Api,
    path: &'static str,
    key: &str,
    (value, raw): (Value, Option<RawJson>),
) -> Result<(), Error> {
    check(!key.is_empty(), path, "the key is empty")?;
    check(
        !key.contains('.') && !key.starts_with('$'),
        path,
        "the key contains `.` or starts with `$`, which Auth0's metadata refuses",
    )?;
    api.record_sent_as(path, vec![key.into(), value], raw);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::api::{Api, Command};
    use crate::testing::Harness;
    use crate::RawJson;
    use serde_json::{json, Value};

    #[test]
    fn metadata_is_set_or_removed_by_key() {
        let run = Harness::new().run(
            json!({"user": {"user_id": "u"}}),
            async |_, api: &mut Api| {
                api.user()
                    .set_app_metadata("plan", json!({"tier": "gold"}))?;
                let answer = RawJson::parse(r#" {"seats": 3} "#).unwrap();
                api.user().set_app_metadata("billing", answer)?;
                api.user().set_user_metadata("favorite_color", "blue")?;
                api.user().set_user_metadata("nickname_hint", Value::Null)
            },
        );
        assert_eq!(
            run.commands,
            [
                Command::new(
                    "user.setAppMetadata",
                    vec![json!("plan"), json!({"tier": "gold"})]
                ),
                Command::new(
                    "user.setAppMetadata",
                    vec![json!("billing"), json!({"seats": 3})]
                ),
                Command::new(
                    "user.setUserMetadata",
                    vec![json!("favorite_color"), json!("blue")]
                ),
                Command::new(
                    "user.setUserMetadata",
                    vec![json!("nickname_hint"), Value::Null]
                ),
            ]
        );
        assert_eq!(run.user_metadata("favorite_color"), Some(&json!("blue")));
        assert_eq!(run.user_metadata("nickname_hint"), Some(&Value::Null));
        assert_eq!(run.app_metadata("plan"), Some(&json!({"tier": "gold"})));
    }

    #[test]
    fn keys_auth0_would_refuse_are_errors() {
        for (key, reason) in [
            ("", "the key is empty"),
            (
                "a.b",
                "the key contains `.` or starts with `$`, which Auth0's metadata refuses",
            ),
            (
                "$set",
                "the key contains `.` or starts with `$`, which Auth0's metadata refuses",
            ),
        ] {
            let run = Harness::new().run(
                json!({"user": {"user_id": "u"}}),
                async |_, api: &mut Api| api.user().set_app_metadata(key, 1),
            );
            assert_eq!(
                run.failure(),
                Some(format!("user.setAppMetadata: {reason}"))
            );
        }
    }
}
