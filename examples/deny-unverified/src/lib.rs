//! Denies logins whose email is unverified (or missing), but only for the applications that ask
//! for it: those whose client metadata (Applications → Settings → Advanced → Application
//! Metadata) has `require_verified_email` = `true`. Other applications are left alone.

use postlogin::{Api, Error, Event};

/// The client metadata key that opts an application in; Auth0's client metadata values are
/// strings, so the value is the string `true`.
pub const SETTING: &str = "require_verified_email";

/// The deny reason the application receives as `error_description`: what the user can do.
pub const REASON: &str = "Please verify your email address, then log in again.";

#[postlogin::action]
pub async fn on_execute_post_login(event: &Event, api: &mut Api) -> Result<(), Error> {
    let required = event
        .client
        .as_ref()
        .and_then(|client| client.metadata.get(SETTING)?.as_str())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"));
    if required && event.verified_email().is_none() {
        api.access().deny(REASON)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use postlogin::testing::Harness;
    use postlogin::{json, Value};

    fn login(client_metadata: Value, user: Value) -> Value {
        let mut user = user;
        user["user_id"] = json!("auth0|1");
        json!({"client": {"client_id": "APP", "metadata": client_metadata}, "user": user})
    }

    fn requiring() -> Value {
        json!({SETTING: "true"})
    }

    #[test]
    fn a_verified_email_passes() {
        let run = Harness::new().run(
            login(
                requiring(),
                json!({"email": "a@b.c", "email_verified": true}),
            ),
            on_execute_post_login,
        );
        assert!(run.result.is_ok(), "{:?}", run.result);
        assert_eq!(run.commands, []);
    }

    #[test]
    fn unverified_or_missing_emails_are_denied_where_required() {
        for user in [
            json!({"email": "a@b.c", "email_verified": false}),
            json!({"email": "a@b.c"}),
            json!({"phone_number": "+33600000000", "phone_verified": true}),
            json!({"email": "", "email_verified": true}),
        ] {
            let run = Harness::new().run(login(requiring(), user.clone()), on_execute_post_login);
            assert!(run.result.is_ok(), "{:?}", run.result);
            assert_eq!(run.denial(), Some(REASON), "{user}");
        }
        // The opt-in is read the way people type it.
        let run = Harness::new().run(
            login(json!({SETTING: " TRUE "}), json!({"email_verified": false})),
            on_execute_post_login,
        );
        assert_eq!(run.denial(), Some(REASON));
    }

    #[test]
    fn other_applications_are_left_alone() {
        let unverified = json!({"email": "a@b.c", "email_verified": false});
        for metadata in [
            json!({}),
            json!({SETTING: "false"}),
            json!({SETTING: ""}),
            json!({"other": "true"}),
            Value::Null,
        ] {
            let run = Harness::new().run(
                login(metadata.clone(), unverified.clone()),
                on_execute_post_login,
            );
            assert_eq!(run.denial(), None, "{metadata}");
            assert_eq!(run.commands, []);
        }
        let run = Harness::new().run(json!({"user": {"user_id": "u"}}), on_execute_post_login);
        assert_eq!(run.denial(), None);
    }
}
