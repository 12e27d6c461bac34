//! `api.authentication`: challenging the user with, or enrolling them in, specific MFA factors.

use serde_json::Value;

use super::{check, object, Api};
use crate::Error;

/// A factor, as Auth0's `{type, options}` selectors name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Factor {
    Otp,
    Email,
    /// SMS or voice; `Some` picks the method Auth0 offers first.
    Phone(Option<PhoneMethod>),
    PushNotification,
    WebAuthnPlatform,
    WebAuthnRoaming,
    RecoveryCode,
}

/// How a phone factor reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneMethod {
    Sms,
    Voice,
    Both,
}

impl Factor {
    /// `{"type": "phone", "options": {"preferredMethod": "sms"}}`
    fn to_value(self) -> Value {
        let kind = match self {
            Factor::Otp => "otp",
            Factor::Email => "email",
            Factor::Phone(_) => "phone",
            Factor::PushNotification => "push-notification",
            Factor::WebAuthnPlatform => "webauthn-platform",
            Factor::WebAuthnRoaming => "webauthn-roaming",
            Factor::RecoveryCode => "recovery-code",
        };
        let mut members = vec![("type", Value::from(kind))];
        if let Factor::Phone(Some(method)) = self {
            let method = match method {
                PhoneMethod::Sms => "sms",
                PhoneMethod::Voice => "voice",
                PhoneMethod::Both => "both",
            };
            members.push(("options", object(vec![("preferredMethod", method.into())])));
        }
        object(members)
    }

    /// Auth0 cannot enroll a user in these (email is enrolled with the verified address, a
    /// recovery code comes with another factor).
    fn enrollable(self) -> bool {
        !matches!(self, Factor::Email | Factor::RecoveryCode)
    }
}

/// `api.authentication`
pub struct AuthenticationApi<'a> {
    pub(super) api: &'a mut Api,
}

impl AuthenticationApi<'_> {
    /// `challengeWith(factor, {additionalFactors})`: challenge with `factor`, and let the user
    /// pick one of `additional` instead.
    pub fn challenge_with(self, factor: Factor, additional: &[Factor]) -> Result<(), Error> {
        with(self.api, "authentication.challengeWith", factor, additional)
    }

    /// `challengeWithAny(factors)`: let the user pick any of `factors` they have enrolled.
    pub fn challenge_with_any(self, factors: &[Factor]) -> Result<(), Error> {
        with_any(self.api, "authentication.challengeWithAny", factors)
    }

    /// `enrollWith(factor, {additionalFactors})`: enroll the user in `factor` (or one of
    /// `additional`). Email and recovery codes cannot be enrolled this way.
    pub fn enroll_with(self, factor: Factor, additional: &[Factor]) -> Result<(), Error> {
        with(self.api, "authentication.enrollWith", factor, additional)
    }

    /// `enrollWithAny(factors)`: enroll the user in one of `factors`, their choice.
    pub fn enroll_with_any(self, factors: &[Factor]) -> Result<(), Error> {
        with_any(self.api, "authentication.enrollWithAny", factors)
    }
}

fn with(
    api: &mut Api,
    path: &'static str,
    factor: Factor,
    additional: &[Factor],
) -> Result<(), Error> {
    check_enrollable(path, &[factor])?;
    check_enrollable(path, additional)?;
    let mut args = vec![factor.to_value()];
    if !additional.is_empty() {
        args.push(object(vec![("additionalFactors", list(additional))]));
    }
    api.record(path, args);
    Ok(())
}

fn with_any(api: &mut Api, path: &'static str, factors: &[Factor]) -> Result<(), Error> {
    check(!factors.is_empty(), path, "no factor given")?;
    check_enrollable(path, factors)?;
    api.record(path, vec![list(factors)]);
    Ok(())
}

fn check_enrollable(path: &'static str, factors: &[Factor]) -> Result<(), Error> {
    let enrolling = path.starts_with("authentication.enroll");
    check(
        !enrolling || factors.iter().all(|factor| factor.enrollable()),
        path,
        "email and recovery-code factors cannot be enrolled",
    )
}

fn list(factors: &[Factor]) -> Value {
    Value::Array(factors.iter().map(|factor| factor.to_value()).collect())
}

#[cfg(test)]
mod tests {
    /// One `api` call under test.
    type Call = fn(&mut crate::Api) -> Result<(), crate::Error>;

    use super::*;
    use crate::api::Command;
    use crate::testing::Harness;
    use serde_json::json;

    fn run(action: impl AsyncFnOnce(&mut Api) -> Result<(), Error>) -> crate::testing::Run {
        Harness::new().run(
            json!({"user": {"user_id": "u"}}),
            async |_, api: &mut Api| action(api).await,
        )
    }

    #[test]
    fn factors_become_auth0_selectors() {
        let run = run(async |api| {
            api.authentication().challenge_with(Factor::Otp, &[])?;
            api.authentication().challenge_with(
                Factor::PushNotification,
                &[Factor::Phone(Some(PhoneMethod::Sms)), Factor::Email],
            )?;
            api.authentication()
                .challenge_with_any(&[Factor::WebAuthnPlatform, Factor::RecoveryCode])?;
            api.authentication()
                .enroll_with(Factor::WebAuthnRoaming, &[Factor::Phone(None)])?;
            api.authentication().enroll_with_any(&[Factor::Otp])
        });
        assert!(run.result.is_ok(), "{:?}", run.result);
        assert_eq!(
            run.commands,
            [
                Command::new("authentication.challengeWith", vec![json!({"type": "otp"})]),
                Command::new(
                    "authentication.challengeWith",
                    vec![
                        json!({"type": "push-notification"}),
                        json!({"additionalFactors": [
                            {"type": "phone", "options": {"preferredMethod": "sms"}},
                            {"type": "email"},
                        ]}),
                    ]
                ),
                Command::new(
                    "authentication.challengeWithAny",
                    vec![json!([{"type": "webauthn-platform"}, {"type": "recovery-code"}])]
                ),
                Command::new(
                    "authentication.enrollWith",
                    vec![
                        json!({"type": "webauthn-roaming"}),
                        json!({"additionalFactors": [{"type": "phone"}]}),
                    ]
                ),
                Command::new(
                    "authentication.enrollWithAny",
                    vec![json!([{"type": "otp"}])]
                ),
            ]
        );
    }

    #[test]
    fn empty_lists_and_unenrollable_factors_are_refused() {
        let cases: [(&str, Call); 4] = [
            ("authentication.challengeWithAny: no factor given", |api| {
                api.authentication().challenge_with_any(&[])
            }),
            ("authentication.enrollWithAny: no factor given", |api| {
                api.authentication().enroll_with_any(&[])
            }),
            (
                "authentication.enrollWith: email and recovery-code factors cannot be enrolled",
                |api| {
                    api.authentication()
                        .enroll_with(Factor::Otp, &[Factor::Email])
                },
            ),
            (
                "authentication.enrollWithAny: email and recovery-code factors cannot be enrolled",
                |api| {
                    api.authentication()
                        .enroll_with_any(&[Factor::RecoveryCode])
                },
            ),
        ];
        for (expected, action) in cases {
            let run = run(async |api| action(api));
            assert_eq!(run.failure().as_deref(), Some(expected));
            assert_eq!(run.commands, []);
        }
    }
}
