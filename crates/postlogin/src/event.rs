//! The post-login `event` Auth0 passes to an Action (AUTH0.md §3).
//!
//! Auth0 adds fields over time and most of them depend on the connection, so: unknown fields are
//! ignored, everything but `user.user_id` is optional, and free-form objects (metadata, query,
//! geoip, …) stay dynamic JSON.

use serde_json::Value;

use crate::decode::{json_struct, FromJson};
use crate::secrets::Secrets;
use crate::Error;

json_struct! {
    pub struct Event {
        pub user: User = "user",
        pub secrets: Secrets = "secrets",
        pub client: Option<Client> = "client",
        pub connection: Option<Connection> = "connection",
        pub request: Option<Request> = "request",
        pub transaction: Option<Transaction> = "transaction",
        pub authorization: Option<Authorization> = "authorization",
        pub organization: Option<Organization> = "organization",
        pub resource_server: Option<ResourceServer> = "resource_server",
        pub stats: Option<Stats> = "stats",
        pub tenant: Option<Tenant> = "tenant",
        pub authentication: Option<Authentication> = "authentication",
        pub session: Option<Value> = "session",
        pub refresh_token: Option<Value> = "refresh_token",
        pub prompt: Option<Value> = "prompt",
        pub custom_domain: Option<Value> = "custom_domain",
        pub security_context: Option<Value> = "security_context",
    }
}

impl Event {
    /// Decodes the event from JSON text (as the Auth0 editor's Test tab holds it).
    /// An error names the failing field (`user.email_verified: expected a boolean, found a
    /// string`) and never echoes a value, which could be a secret.
    pub fn from_json_str(text: &str) -> Result<Event, Error> {
        let value: Value =
            serde_json::from_str(text).map_err(|_| Error::MalformedEvent("not JSON".into()))?;
        Event::from_json(value)
    }

    /// Decodes an event given as a JSON value (what the shim hands over).
    pub fn from_json(value: Value) -> Result<Event, Error> {
        <Event as FromJson>::from_json(value).map_err(|err| Error::MalformedEvent(err.message()))
    }
}

json_struct! {
    pub struct User {
        /// The only field every connection guarantees.
        pub user_id: String = "user_id",
        pub email: Option<String> = "email",
        pub email_verified: Option<bool> = "email_verified",
        pub name: Option<String> = "name",
        pub nickname: Option<String> = "nickname",
        pub given_name: Option<String> = "given_name",
        pub family_name: Option<String> = "family_name",
        pub picture: Option<String> = "picture",
        pub username: Option<String> = "username",
        pub phone_number: Option<String> = "phone_number",
        pub phone_verified: Option<bool> = "phone_verified",
        pub created_at: Option<String> = "created_at",
        pub updated_at: Option<String> = "updated_at",
        pub last_password_reset: Option<String> = "last_password_reset",
        pub app_metadata: Value = "app_metadata",
        pub user_metadata: Value = "user_metadata",
        pub identities: Vec<Identity> = "identities",
        pub multifactor: Vec<String> = "multifactor",
        pub enrolled_factors: Vec<Value> = "enrolledFactors",
    }
}

impl User {
    /// The email, only when Auth0 says it is verified. An unverified address can be claimed by
    /// anyone, so it must never select whose data a token carries.
    pub fn verified_email(&self) -> Option<&str> {
        match (self.email.as_deref(), self.email_verified) {
            (Some(email), Some(true)) if !email.is_empty() => Some(email),
            _ => None,
        }
    }
}

json_struct! {
    pub struct Identity {
        pub connection: Option<String> = "connection",
        pub provider: Option<String> = "provider",
        /// A string for most providers, a number for some social ones.
        pub user_id: Value = "user_id",
        pub is_social: Option<bool> = "isSocial",
        pub profile_data: Value = "profileData",
    }
}

json_struct! {
    pub struct Client {
        pub client_id: Option<String> = "client_id",
        pub name: Option<String> = "name",
        pub metadata: Value = "metadata",
    }
}

json_struct! {
    pub struct Connection {
        pub id: Option<String> = "id",
        pub name: Option<String> = "name",
        pub strategy: Option<String> = "strategy",
        pub metadata: Value = "metadata",
    }
}

json_struct! {
    pub struct Request {
        pub ip: Option<String> = "ip",
        pub method: Option<String> = "method",
        pub query: Value = "query",
        pub body: Value = "body",
        pub geoip: Value = "geoip",
        pub hostname: Option<String> = "hostname",
        pub language: Option<String> = "language",
        pub user_agent: Option<String> = "user_agent",
        pub asn: Value = "asn",
    }
}

json_struct! {
    pub struct Transaction {
        pub id: Option<String> = "id",
        pub protocol: Option<String> = "protocol",
        pub requested_scopes: Vec<String> = "requested_scopes",
        pub redirect_uri: Option<String> = "redirect_uri",
        pub locale: Option<String> = "locale",
        pub ui_locales: Vec<String> = "ui_locales",
        pub prompt: Vec<String> = "prompt",
        pub state: Option<String> = "state",
        pub metadata: Value = "metadata",
    }
}

json_struct! {
    pub struct Authorization {
        pub roles: Vec<String> = "roles",
    }
}

json_struct! {
    pub struct Organization {
        pub id: Option<String> = "id",
        pub name: Option<String> = "name",
        pub display_name: Option<String> = "display_name",
        pub metadata: Value = "metadata",
    }
}

json_struct! {
    pub struct ResourceServer {
        /// The requested audience.
        pub identifier: Option<String> = "identifier",
    }
}

json_struct! {
    pub struct Stats {
        pub logins_count: Option<u64> = "logins_count",
    }
}

json_struct! {
    pub struct Tenant {
        pub id: Option<String> = "id",
    }
}

json_struct! {
    pub struct Authentication {
        pub methods: Vec<AuthenticationMethod> = "methods",
        pub risk_assessment: Value = "riskAssessment",
    }
}

json_struct! {
    pub struct AuthenticationMethod {
        pub name: Option<String> = "name",
        pub timestamp: Option<String> = "timestamp",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_minimal_event_needs_only_a_user_id() {
        let event = Event::from_json(json!({"user": {"user_id": "auth0|1"}})).unwrap();
        assert_eq!(event.user.user_id, "auth0|1");
        assert_eq!(event.user.verified_email(), None);
        assert!(event.secrets.is_empty());
    }

    #[test]
    fn unknown_fields_are_ignored_and_known_ones_typed() {
        let event = Event::from_json(json!({
            "user": {"user_id": "u", "email": "a@b.c", "email_verified": true, "new_field": [1],
                     "app_metadata": {"plan": "pro"}, "identities": [{"user_id": 12345, "isSocial": true}]},
            "authorization": {"roles": ["admin"]},
            "stats": {"logins_count": 7},
            "something_auth0_adds_in_2027": {"x": 1},
        }))
        .unwrap();
        assert_eq!(event.user.verified_email(), Some("a@b.c"));
        assert_eq!(event.user.app_metadata["plan"], "pro");
        assert_eq!(event.user.identities[0].user_id, 12345);
        assert_eq!(event.authorization.unwrap().roles, ["admin"]);
        assert_eq!(event.stats.unwrap().logins_count, Some(7));
    }

    #[test]
    fn unverified_or_empty_emails_are_not_verified_emails() {
        for user in [
            json!({"user_id": "u", "email": "a@b.c", "email_verified": false}),
            json!({"user_id": "u", "email": "a@b.c"}),
            json!({"user_id": "u", "email": "", "email_verified": true}),
            json!({"user_id": "u", "email_verified": true}),
        ] {
            let event = Event::from_json(json!({ "user": user })).unwrap();
            assert_eq!(event.user.verified_email(), None, "{user}");
        }
    }

    #[test]
    fn malformed_events_name_the_field_without_echoing_values() {
        let cases = [
            (
                json!({"user": {"user_id": "u", "email_verified": "yes-SECRET"}}),
                "malformed event: user.email_verified: expected a boolean, found a string",
            ),
            (
                json!({"user": {"user_id": "u", "identities": [{}, {"isSocial": "SECRET"}]}}),
                "malformed event: user.identities[1].isSocial: expected a boolean, found a string",
            ),
            (
                json!({"client": {}}),
                "malformed event: missing field `user`",
            ),
            (
                json!({"user": {}}),
                "malformed event: user: missing field `user_id`",
            ),
            (
                json!("SECRET"),
                "malformed event: expected an object, found a string",
            ),
            (
                json!({"user": {"user_id": "u"}, "secrets": {"a": 1}}),
                "malformed event: secrets.a: expected a string, found a number",
            ),
        ];
        for (event, expected) in cases {
            assert_eq!(Event::from_json(event).unwrap_err().to_string(), expected);
        }
    }

    #[test]
    fn event_text_that_is_not_json_is_malformed() {
        let err = Event::from_json_str("{\"user\": SECRET").unwrap_err();
        assert_eq!(err.to_string(), "malformed event: not JSON");
    }
}
