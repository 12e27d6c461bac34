//! The post-login `event` Auth0 passes to an Action (AUTH0.md §3).
//!
//! Auth0 adds fields over time and most of them depend on the connection, so: unknown fields are
//! ignored, everything but `user.user_id` is optional, and free-form objects (metadata, query,
//! geoip, …) stay dynamic JSON.

use std::cell::OnceCell;

use serde_json::Value;

use crate::decode::{json_struct, DecodeError, Fields, FromJson};
pub use crate::lazy::Lazy;
use crate::lazy::RawPart;
use crate::secrets::Secrets;
use crate::Error;

/// Declares `Event` from its list of [`Lazy`] parts (each named as its JSON key), with what
/// must follow the list exactly: the absent event, a part by name, and the parts' errors. The
/// checks are written out per part rather than through `dyn`, whose vtables would compile every
/// part's decoding into every Action.
macro_rules! event_parts {
    ($( $(#[$meta:meta])* $field:ident: $type:ty, )*) => {
        /// The post-login event. Every part but `secrets` is [`Lazy`]: decoded the first time
        /// the Action reads it.
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub struct Event {
            /// Decoded at once: failure messages are scrubbed of their values.
            pub secrets: Secrets,
            $( $(#[$meta])* pub $field: Lazy<$type>, )*
            /// What [`Event::verified_email`] read, when it read the two members on their own.
            verified_email_read: OnceCell<Result<Option<String>, DecodeError>>,
        }

        impl Event {
            /// Every part absent, each knowing its name (for "missing field `user`").
            fn absent() -> Event {
                Event {
                    secrets: Secrets::default(),
                    $( $field: Lazy::named(stringify!($field)), )*
                    verified_email_read: OnceCell::new(),
                }
            }

            /// Every part read from the host when the Action first reads it; `secrets` at once.
            #[cfg(target_arch = "wasm32")]
            pub(crate) fn from_host_lazily() -> Result<Event, Error> {
                Ok(Event {
                    secrets: secrets_from_host()?,
                    $( $field: Lazy::from_host(stringify!($field)), )*
                    verified_email_read: OnceCell::new(),
                })
            }

            /// The part called `name`; `None` for a field Auth0 added that this version does
            /// not know.
            fn part_mut(&mut self, name: &str) -> Option<&mut RawPart> {
                Some(match name {
                    $( stringify!($field) => self.$field.part_mut(), )*
                    _ => return None,
                })
            }

            /// The first part the Action read that did not fit its type, as the login's error.
            pub(crate) fn read_error(&self) -> Option<Error> {
                let email = self.verified_email_read.get().and_then(|read| read.as_ref().err());
                first([$( self.$field.error(), )* email])
            }

            /// Decodes every part not read yet; the first that does not fit, as an error.
            fn validate(&self) -> Option<Error> {
                first([$( self.$field.validate(), )*])
            }
        }
    };
}

event_parts! {
    user: User,
    client: Option<Client>,
    connection: Option<Connection>,
    request: Option<Request>,
    transaction: Option<Transaction>,
    authorization: Option<Authorization>,
    organization: Option<Organization>,
    resource_server: Option<ResourceServer>,
    stats: Option<Stats>,
    tenant: Option<Tenant>,
    authentication: Option<Authentication>,
    /// The user's session (its devices and the applications it has served).
    session: Option<Session>,
    /// On a refresh-token exchange: the token being exchanged.
    refresh_token: Option<RefreshToken>,
    prompt: Option<Prompt>,
    custom_domain: Option<CustomDomain>,
    security_context: Option<SecurityContext>,
}

/// `secrets`, parsed at once: failure messages are scrubbed of their values.
fn secrets(value: Option<Value>) -> Result<Secrets, Error> {
    match value.filter(|value| !value.is_null()) {
        None => Ok(Secrets::default()),
        Some(value) => Secrets::from_json(value)
            .map_err(|err| Error::MalformedEvent(err.at("secrets".into()).message())),
    }
}

/// `secrets` as the shim sends them: JSON text when they differ from the ones it last sent this
/// instance, nothing when they are the same (every login of a warm instance carries the same
/// ones). Decoded once per text.
#[cfg(target_arch = "wasm32")]
fn secrets_from_host() -> Result<Secrets, Error> {
    use crate::host::runtime::{event_secrets, Global};
    use std::cell::RefCell;
    /// The text last sent, and what it decoded to (`None`: not yet, or it did not decode).
    static LAST: Global<RefCell<(String, Option<Secrets>)>> = Global::new((String::new(), None));

    if let Some(text) = event_secrets() {
        LAST.with_borrow_mut(|last| *last = (text, None));
    }
    LAST.with_borrow_mut(|(text, decoded)| match decoded {
        Some(secrets) => Ok(secrets.clone()),
        None => {
            let fresh = secrets(crate::json::parse(text))?;
            *decoded = Some(fresh.clone());
            Ok(fresh)
        }
    })
}

fn first<const N: usize>(errors: [Option<&DecodeError>; N]) -> Option<Error> {
    errors
        .into_iter()
        .flatten()
        .next()
        .map(|err| Error::MalformedEvent(err.message()))
}

impl Event {
    /// The user's email, only when Auth0 says it is verified (as [`User::verified_email`]).
    ///
    /// Reads `user.email` and `user.email_verified` and nothing else of the user, unless the
    /// Action has read `event.user` whole already: in WebAssembly the other members never
    /// cross from the shim, and a login pays only for these two. As with a part the Action
    /// never reads, a malformed member it does not read goes unnoticed; one of these two fails
    /// the login as a malformed event, as reading the whole user would.
    pub fn verified_email(&self) -> Option<&str> {
        if let Some(user) = self.user.read() {
            return user.verified_email();
        }
        let read = self.verified_email_read.get_or_init(|| {
            let email: Option<String> = self.user.member("email")?;
            let verified: Option<bool> = self.user.member("email_verified")?;
            Ok(email.filter(|email| verified == Some(true) && !email.is_empty()))
        });
        read.as_ref().ok()?.as_deref()
    }

    /// Decodes the event from JSON text (as the Auth0 editor's Test tab holds it).
    /// An error names the failing field (`user.email_verified: expected a boolean, found a
    /// string`) and never echoes a value, which could be a secret.
    pub fn from_json_str(text: &str) -> Result<Event, Error> {
        let value: Value =
            crate::json::parse(text).ok_or_else(|| Error::MalformedEvent("not JSON".into()))?;
        Event::from_json(value)
    }

    /// Decodes an event given as a JSON value, every part of it: an error names the first
    /// field that does not fit.
    pub fn from_json(value: Value) -> Result<Event, Error> {
        let event = Event::from_json_lazily(value)?;
        match event.validate() {
            Some(err) => Err(err),
            None => Ok(event),
        }
    }

    /// Only checks that the event is an object: its parts decode when the Action reads them
    /// (see [`Lazy`]), and [`Event::read_error`] says afterwards whether one did not fit.
    pub(crate) fn from_json_lazily(value: Value) -> Result<Event, Error> {
        let Value::Object(members) = value else {
            return Err(Error::MalformedEvent(
                DecodeError::mismatch("an object", &value).message(),
            ));
        };
        let mut event = Event::absent();
        for (name, value) in members {
            if name == "secrets" {
                event.secrets = secrets(Some(value))?;
            } else if let Some(part) = event.part_mut(&name) {
                part.set_value(value);
            }
        }
        Ok(event)
    }

    /// The event as JSON text (as the test harness holds it), split into its parts without
    /// parsing them: a part is parsed when the Action first reads it. Only `secrets` is parsed
    /// at once (failure messages are scrubbed of their values). In WebAssembly the shim hands
    /// the parts over one by one instead (`from_host_lazily`).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn from_json_text_lazily(text: &str) -> Result<Event, Error> {
        let Some(members) = crate::json::object_members(text) else {
            return Err(match crate::json::parse(text) {
                Some(value) => {
                    Error::MalformedEvent(DecodeError::mismatch("an object", &value).message())
                }
                None => Error::MalformedEvent("not JSON".into()),
            });
        };
        let mut event = Event::absent();
        for (name, part) in members {
            if name == "secrets" {
                event.secrets = secrets(crate::json::parse(part))?;
            } else if let Some(slot) = event.part_mut(&name) {
                slot.set_text(part);
            }
        }
        Ok(event)
    }

    /// Why an event given as JSON text that is not an object (the shim hands an object over
    /// part by part, see [`Event::from_host_lazily`]) cannot be read.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn refusal(text: &str) -> Error {
        Error::MalformedEvent(match crate::json::parse(text) {
            Some(value) => DecodeError::mismatch("an object", &value).message(),
            None => "not JSON".into(),
        })
    }

    /// The requested audience (`resource_server.identifier`), which Auth0's claim rules
    /// depend on. In WebAssembly the shim passes it with the login instead.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn audience(&self) -> Option<String> {
        self.resource_server
            .as_ref()
            .and_then(|server| server.identifier.clone())
    }
}

/// `event.user`. Its free-form and nested fields (metadata, identities, enrolled factors) are
/// [`Lazy`] parts of their own: they are most of a real user's size (a social identity carries
/// its profile and the provider's tokens), and few Actions read them, so they cross from the
/// shim and decode only when read.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct User {
    /// The only field every connection guarantees.
    pub user_id: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    pub nickname: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    pub username: Option<String>,
    pub phone_number: Option<String>,
    pub phone_verified: Option<bool>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub last_password_reset: Option<String>,
    pub multifactor: Vec<String>,
    pub app_metadata: Lazy<Value>,
    pub user_metadata: Lazy<Value>,
    pub identities: Lazy<Vec<Identity>>,
    pub enrolled_factors: Lazy<Vec<EnrolledFactor>>,
}

impl User {
    #[inline(never)]
    fn from_fields(mut fields: Fields) -> Result<Self, DecodeError> {
        let user = User {
            user_id: fields.take("user_id"),
            email: fields.take("email"),
            email_verified: fields.take("email_verified"),
            name: fields.take("name"),
            nickname: fields.take("nickname"),
            given_name: fields.take("given_name"),
            family_name: fields.take("family_name"),
            picture: fields.take("picture"),
            username: fields.take("username"),
            phone_number: fields.take("phone_number"),
            phone_verified: fields.take("phone_verified"),
            created_at: fields.take("created_at"),
            updated_at: fields.take("updated_at"),
            last_password_reset: fields.take("last_password_reset"),
            multifactor: fields.take("multifactor"),
            app_metadata: fields.lazy("app_metadata", "user.app_metadata"),
            user_metadata: fields.lazy("user_metadata", "user.user_metadata"),
            identities: fields.lazy("identities", "user.identities"),
            enrolled_factors: fields.lazy("enrolledFactors", "user.enrolledFactors"),
        };
        fields.finish(user)
    }
}

impl FromJson for User {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        User::from_fields(Fields::of(value)?)
    }

    #[cfg(target_arch = "wasm32")]
    fn from_host(part: &'static str) -> crate::decode::HostRead<Self> {
        Fields::from_host(part, User::from_fields)
    }

    fn part_error(&self) -> Option<&DecodeError> {
        self.app_metadata
            .error()
            .or_else(|| self.user_metadata.error())
            .or_else(|| self.identities.error())
            .or_else(|| self.enrolled_factors.error())
    }

    fn read_parts(&self) {
        let _ = (
            self.app_metadata.validate(),
            self.user_metadata.validate(),
            self.identities.validate(),
            self.enrolled_factors.validate(),
        );
    }
}

impl User {
    /// The email, only when Auth0 says it is verified. An unverified address can be claimed by
    /// anyone, so it must never select whose data a token carries. [`Event::verified_email`]
    /// gives the same without reading the rest of the user.
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
    /// An MFA factor the user has enrolled: `otp`, `phone`, `push-notification`…
    pub struct EnrolledFactor {
        pub kind: Option<String> = "type",
        pub options: Value = "options",
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
        /// The query string's parameters (after a redirect: those of `/continue`).
        pub query: Value = "query",
        /// A form POST's parameters.
        pub body: Value = "body",
        pub geoip: Option<GeoIp> = "geoip",
        pub hostname: Option<String> = "hostname",
        pub language: Option<String> = "language",
        pub user_agent: Option<String> = "user_agent",
        /// The network's autonomous system number (its type is not documented).
        pub asn: Value = "asn",
    }
}

json_struct! {
    /// Where the request came from, as Auth0's IP geolocation sees it.
    pub struct GeoIp {
        pub country_code: Option<String> = "countryCode",
        pub country_code3: Option<String> = "countryCode3",
        pub country_name: Option<String> = "countryName",
        pub city_name: Option<String> = "cityName",
        pub latitude: Option<f64> = "latitude",
        pub longitude: Option<f64> = "longitude",
        pub time_zone: Option<String> = "timeZone",
        pub continent_code: Option<String> = "continentCode",
        pub subdivision_code: Option<String> = "subdivisionCode",
        pub subdivision_name: Option<String> = "subdivisionName",
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
        pub acr_values: Vec<String> = "acr_values",
        pub response_mode: Option<String> = "response_mode",
        pub response_type: Vec<String> = "response_type",
        pub login_hint: Option<String> = "login_hint",
        pub linking_id: Option<String> = "linking_id",
        /// What earlier Actions of this login set with `api.transaction.setMetadata`.
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
        pub risk_assessment: Option<RiskAssessment> = "riskAssessment",
    }
}

json_struct! {
    /// One way the user proved who they are in this session (`pwd`, `federated`, `mfa`…).
    pub struct AuthenticationMethod {
        pub name: Option<String> = "name",
        pub timestamp: Option<String> = "timestamp",
        /// For `mfa`: the factor used (`otp`, `phone`…).
        pub kind: Option<String> = "type",
    }
}

json_struct! {
    /// Adaptive MFA's view of the login: `confidence` is `low`, `medium`, `high` or `neutral`.
    pub struct RiskAssessment {
        pub confidence: Option<String> = "confidence",
        pub version: Option<String> = "version",
        /// Each assessment by name (`NewDevice`, `ImpossibleTravel`, …).
        pub assessments: Value = "assessments",
    }
}

json_struct! {
    pub struct Session {
        pub id: Option<String> = "id",
        pub created_at: Option<String> = "created_at",
        pub updated_at: Option<String> = "updated_at",
        pub authenticated_at: Option<String> = "authenticated_at",
        pub last_interacted_at: Option<String> = "last_interacted_at",
        pub idle_expires_at: Option<String> = "idle_expires_at",
        pub expires_at: Option<String> = "expires_at",
        pub device: Option<Device> = "device",
        pub clients: Vec<SessionClient> = "clients",
    }
}

json_struct! {
    /// The device a session or a refresh token was first and last used from.
    pub struct Device {
        pub initial_ip: Option<String> = "initial_ip",
        pub initial_asn: Value = "initial_asn",
        pub initial_user_agent: Option<String> = "initial_user_agent",
        pub last_ip: Option<String> = "last_ip",
        pub last_asn: Value = "last_asn",
        pub last_user_agent: Option<String> = "last_user_agent",
    }
}

json_struct! {
    pub struct SessionClient {
        pub client_id: Option<String> = "client_id",
    }
}

json_struct! {
    pub struct RefreshToken {
        pub id: Option<String> = "id",
        pub client_id: Option<String> = "client_id",
        pub session_id: Option<String> = "session_id",
        pub user_id: Option<String> = "user_id",
        pub rotating: Option<bool> = "rotating",
        pub created_at: Option<String> = "created_at",
        pub expires_at: Option<String> = "expires_at",
        pub idle_expires_at: Option<String> = "idle_expires_at",
        pub last_exchanged_at: Option<String> = "last_exchanged_at",
        pub device: Option<Device> = "device",
        pub resource_servers: Vec<RefreshTokenResourceServer> = "resource_servers",
    }
}

json_struct! {
    /// An API a refresh token grants access to, and with which scopes (space-separated).
    pub struct RefreshTokenResourceServer {
        pub audience: Option<String> = "audience",
        pub scopes: Option<String> = "scopes",
    }
}

json_struct! {
    /// The Universal Login prompt this login came through.
    pub struct Prompt {
        pub id: Option<String> = "id",
        pub name: Option<String> = "name",
    }
}

json_struct! {
    /// The custom domain the login came through, if any.
    pub struct CustomDomain {
        pub domain: Option<String> = "domain",
        pub domain_metadata: Value = "domain_metadata",
    }
}

json_struct! {
    /// TLS fingerprints of the client (JA3, JA4), for bot detection.
    pub struct SecurityContext {
        pub ja3: Option<String> = "ja3",
        pub ja4: Option<String> = "ja4",
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
        assert_eq!(event.authorization.as_ref().unwrap().roles, ["admin"]);
        assert_eq!(event.stats.as_ref().unwrap().logins_count, Some(7));
    }

    /// An event as the Auth0 editor's Test tab shows it, with every optional part filled in.
    fn full_event() -> Value {
        // Built member by member: one json! literal this size exceeds the macro recursion limit.
        let mut event = serde_json::Map::new();
        event.insert(
            "authentication".into(),
            json!({
                "methods": [
                    {"name": "pwd", "timestamp": "2026-01-01T10:00:00.000Z"},
                    {"name": "mfa", "timestamp": "2026-01-01T10:00:30.000Z", "type": "otp"},
                ],
                "riskAssessment": {
                    "confidence": "high", "version": "1",
                    "assessments": {"NewDevice": {"confidence": "high", "code": "match"}},
                },
            }),
        );
        event.insert(
            "authorization".into(),
            json!({"roles": ["admin", "billing"]}),
        );
        event.insert("client".into(), json!({"client_id": "CLIENT-1", "name": "Dashboard", "metadata": {"require_verified_email": "true"}}));
        event.insert("connection".into(), json!({"id": "con_1", "name": "Username-Password-Authentication", "strategy": "auth0", "metadata": {}}));
        event.insert(
            "custom_domain".into(),
            json!({"domain": "login.example.com", "domain_metadata": {"brand": "blue"}}),
        );
        event.insert("organization".into(), json!({"id": "org_1", "name": "acme", "display_name": "Acme Inc.", "metadata": {"tier": "gold"}}));
        event.insert("prompt".into(), json!({"id": "prompt_1", "name": "login"}));
        event.insert("refresh_token".into(), json!({
                "id": "rt_1", "client_id": "CLIENT-1", "session_id": "sess_1", "user_id": "auth0|1",
                "rotating": true, "created_at": "2026-01-01T09:00:00.000Z",
                "expires_at": "2026-02-01T09:00:00.000Z", "idle_expires_at": "2026-01-15T09:00:00.000Z",
                "last_exchanged_at": "2026-01-01T09:30:00.000Z",
                "device": {"initial_ip": "203.0.113.1", "initial_asn": "64496", "initial_user_agent": "UA/1",
                           "last_ip": "203.0.113.2", "last_asn": "64497", "last_user_agent": "UA/2"},
                "resource_servers": [{"audience": "https://api.example.com", "scopes": "read:reports offline_access"}],
            }));
        event.insert("request".into(), json!({
                "ip": "203.0.113.9", "method": "GET", "hostname": "login.example.com",
                "language": "en", "user_agent": "Mozilla/5.0", "asn": "64500",
                "query": {"prompt": "login", "state": "st-1"}, "body": {},
                "geoip": {
                    "cityName": "Lyon", "continentCode": "EU", "countryCode": "FR", "countryCode3": "FRA",
                    "countryName": "France", "latitude": 45.75, "longitude": 4.85, "timeZone": "Europe/Paris",
                    "subdivisionCode": "ARA", "subdivisionName": "Auvergne-Rhône-Alpes",
                },
            }));
        event.insert(
            "resource_server".into(),
            json!({"identifier": "https://api.example.com"}),
        );
        event.insert("secrets".into(), json!({"form_secret": "not-shown"}));
        event.insert(
            "security_context".into(),
            json!({"ja3": "771,4865-4866", "ja4": "t13d1516h2_8daaf6152771"}),
        );
        event.insert("session".into(), json!({
                "id": "sess_1", "created_at": "2026-01-01T09:00:00.000Z", "updated_at": "2026-01-01T10:00:00.000Z",
                "authenticated_at": "2026-01-01T10:00:00.000Z", "last_interacted_at": "2026-01-01T10:00:00.000Z",
                "idle_expires_at": "2026-01-04T10:00:00.000Z", "expires_at": "2026-01-31T09:00:00.000Z",
                "device": {"initial_ip": "203.0.113.1", "last_user_agent": "UA/2"},
                "clients": [{"client_id": "CLIENT-1"}],
            }));
        event.insert("stats".into(), json!({"logins_count": 42}));
        event.insert("tenant".into(), json!({"id": "acme-prod"}));
        event.insert("transaction".into(), json!({
                "id": "tx_1", "protocol": "oidc-basic-profile", "requested_scopes": ["openid", "profile"],
                "redirect_uri": "https://app.example.com/callback", "locale": "en",
                "ui_locales": ["en", "fr"], "prompt": ["login"], "state": "app-state",
                "acr_values": ["http://schemas.openid.net/pape/policies/2007/06/multi-factor"],
                "response_mode": "query", "response_type": ["code"], "login_hint": "a@b.c",
                "linking_id": "link_1", "metadata": {"risk": "low"},
            }));
        event.insert("user".into(), json!({
                "user_id": "auth0|1", "email": "a@b.c", "email_verified": true, "name": "Ada",
                "nickname": "ada", "given_name": "Ada", "family_name": "Lovelace",
                "picture": "https://example.com/ada.png", "username": "ada",
                "phone_number": "+33600000000", "phone_verified": false,
                "created_at": "2025-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00.000Z",
                "last_password_reset": "2025-06-01T00:00:00.000Z",
                "app_metadata": {"plan": "pro"}, "user_metadata": {"favorite_color": "blue"},
                "identities": [{"connection": "Username-Password-Authentication", "provider": "auth0",
                                "user_id": "1", "isSocial": false, "profileData": {}}],
                "multifactor": ["guardian"],
                "enrolledFactors": [{"type": "otp"}, {"type": "phone", "options": {"preferredMethod": "sms"}}],
            }));
        Value::Object(event)
    }

    #[test]
    fn a_full_event_decodes_every_field() {
        let event = Event::from_json(full_event()).unwrap();

        let user = &event.user;
        assert_eq!(
            (
                user.name.as_deref(),
                user.nickname.as_deref(),
                user.given_name.as_deref()
            ),
            (Some("Ada"), Some("ada"), Some("Ada"))
        );
        assert_eq!(
            (
                user.family_name.as_deref(),
                user.username.as_deref(),
                user.phone_verified
            ),
            (Some("Lovelace"), Some("ada"), Some(false))
        );
        assert_eq!(user.picture.as_deref(), Some("https://example.com/ada.png"));
        assert_eq!(user.phone_number.as_deref(), Some("+33600000000"));
        assert_eq!(user.created_at.as_deref(), Some("2025-01-01T00:00:00.000Z"));
        assert_eq!(user.updated_at.as_deref(), Some("2026-01-01T00:00:00.000Z"));
        assert_eq!(
            user.last_password_reset.as_deref(),
            Some("2025-06-01T00:00:00.000Z")
        );
        assert_eq!(user.user_metadata["favorite_color"], "blue");
        assert_eq!(user.identities[0].is_social, Some(false));
        assert_eq!(user.identities[0].provider.as_deref(), Some("auth0"));
        assert_eq!(user.multifactor, ["guardian"]);
        assert_eq!(user.enrolled_factors[1].kind.as_deref(), Some("phone"));
        assert_eq!(user.enrolled_factors[1].options["preferredMethod"], "sms");
        assert_eq!(event.secrets.get("form_secret").unwrap(), "not-shown");

        let client = event.client.as_ref().unwrap();
        assert_eq!(client.client_id.as_deref(), Some("CLIENT-1"));
        assert_eq!(client.metadata["require_verified_email"], "true");
        let connection = event.connection.as_ref().unwrap();
        assert_eq!(connection.strategy.as_deref(), Some("auth0"));

        let request = event.request.as_ref().unwrap();
        assert_eq!(
            (
                request.ip.as_deref(),
                request.method.as_deref(),
                request.language.as_deref()
            ),
            (Some("203.0.113.9"), Some("GET"), Some("en"))
        );
        assert_eq!(request.query["state"], "st-1");
        assert_eq!(request.asn, "64500");
        let geoip = request.geoip.as_ref().unwrap();
        assert_eq!(geoip.country_code.as_deref(), Some("FR"));
        assert_eq!(geoip.country_code3.as_deref(), Some("FRA"));
        assert_eq!((geoip.latitude, geoip.longitude), (Some(45.75), Some(4.85)));
        assert_eq!(geoip.time_zone.as_deref(), Some("Europe/Paris"));
        assert_eq!(
            geoip.subdivision_name.as_deref(),
            Some("Auvergne-Rhône-Alpes")
        );

        let transaction = event.transaction.as_ref().unwrap();
        assert_eq!(transaction.protocol.as_deref(), Some("oidc-basic-profile"));
        assert_eq!(transaction.requested_scopes, ["openid", "profile"]);
        assert_eq!(transaction.ui_locales, ["en", "fr"]);
        assert_eq!(transaction.response_type, ["code"]);
        assert_eq!(transaction.login_hint.as_deref(), Some("a@b.c"));
        assert_eq!(transaction.linking_id.as_deref(), Some("link_1"));
        assert_eq!(transaction.acr_values.len(), 1);
        assert_eq!(transaction.metadata["risk"], "low");

        assert_eq!(
            event.authorization.as_ref().unwrap().roles,
            ["admin", "billing"]
        );
        let organization = event.organization.as_ref().unwrap();
        assert_eq!(organization.display_name.as_deref(), Some("Acme Inc."));
        assert_eq!(organization.metadata["tier"], "gold");
        assert_eq!(
            event
                .resource_server
                .as_ref()
                .unwrap()
                .identifier
                .as_deref(),
            Some("https://api.example.com")
        );
        assert_eq!(event.stats.as_ref().unwrap().logins_count, Some(42));
        assert_eq!(
            event.tenant.as_ref().unwrap().id.as_deref(),
            Some("acme-prod")
        );

        let authentication = event.authentication.as_ref().unwrap();
        assert_eq!(authentication.methods[1].kind.as_deref(), Some("otp"));
        let risk = authentication.risk_assessment.as_ref().unwrap();
        assert_eq!(risk.confidence.as_deref(), Some("high"));
        assert_eq!(risk.assessments["NewDevice"]["code"], "match");

        let session = event.session.as_ref().unwrap();
        assert_eq!(
            session.idle_expires_at.as_deref(),
            Some("2026-01-04T10:00:00.000Z")
        );
        assert_eq!(session.clients[0].client_id.as_deref(), Some("CLIENT-1"));
        let device = session.device.as_ref().unwrap();
        assert_eq!(device.initial_ip.as_deref(), Some("203.0.113.1"));
        assert_eq!(device.last_user_agent.as_deref(), Some("UA/2"));

        let refresh = event.refresh_token.as_ref().unwrap();
        assert_eq!(refresh.rotating, Some(true));
        assert_eq!(
            refresh.last_exchanged_at.as_deref(),
            Some("2026-01-01T09:30:00.000Z")
        );
        assert_eq!(refresh.device.as_ref().unwrap().last_asn, "64497");
        assert_eq!(
            refresh.resource_servers[0].scopes.as_deref(),
            Some("read:reports offline_access")
        );

        assert_eq!(
            event.prompt.as_ref().unwrap().name.as_deref(),
            Some("login")
        );
        let domain = event.custom_domain.as_ref().unwrap();
        assert_eq!(domain.domain.as_deref(), Some("login.example.com"));
        assert_eq!(domain.domain_metadata["brand"], "blue");
        let security = event.security_context.as_ref().unwrap();
        assert_eq!(security.ja4.as_deref(), Some("t13d1516h2_8daaf6152771"));
    }

    #[test]
    fn a_mistyped_rare_field_is_named() {
        let mut event = full_event();
        event["request"]["geoip"]["latitude"] = json!("45.75");
        assert_eq!(
            Event::from_json(event).unwrap_err().to_string(),
            "malformed event: request.geoip.latitude: expected a number, found a string"
        );
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

    mod lazily {
        use super::*;
        use crate::testing::Harness;
        use crate::{Api, Command};

        async fn reads_the_user(event: &Event, api: &mut Api) -> Result<(), Error> {
            let verified = event.user.email_verified.unwrap_or(false);
            api.id_token()
                .set_custom_claim("https://example.com/verified", verified)
        }

        #[test]
        fn a_malformed_part_the_action_reads_fails_the_login_naming_the_field() {
            let event = json!({"user": {"user_id": "u", "email_verified": "yes"}});
            let run = Harness::new().run(event, reads_the_user);
            assert_eq!(
                run.failure().as_deref(),
                Some("malformed event: user.email_verified: expected a boolean, found a string")
            );
            // Recorded while the part read as empty, and never applied.
            assert_eq!(run.outcome().commands, []);
        }

        #[test]
        fn a_malformed_part_the_action_never_reads_costs_nothing() {
            let event = json!({"user": {"user_id": "u"}, "stats": {"logins_count": "many"}});
            let run = Harness::new().run(event, reads_the_user);
            assert!(run.result.is_ok(), "{:?}", run.result);
            assert_eq!(
                run.commands,
                [Command::new(
                    "idToken.setCustomClaim",
                    vec!["https://example.com/verified".into(), json!(false)]
                )]
            );
        }

        /// `Event::verified_email` on `user` (JSON text, as the harness and the shim hand it
        /// over): the email, and the login's error afterwards.
        fn verified_email_of(user: &str) -> (Option<String>, Option<String>) {
            let text = if user.is_empty() {
                "{}".to_owned()
            } else {
                format!(r#"{{"user": {user}}}"#)
            };
            let event = Event::from_json_text_lazily(&text).unwrap();
            let email = event.verified_email().map(str::to_owned);
            (email, event.read_error().map(|err| err.to_string()))
        }

        #[test]
        fn the_verified_email_reads_two_members_with_the_whole_users_rules() {
            let ok = |email: &str| (Some(email.to_owned()), None);
            let none = (None, None);
            let malformed = |message: &str| (None, Some(format!("malformed event: {message}")));
            let cases = [
                (
                    r#"{"user_id": "u", "email": "a@b.c", "email_verified": true}"#,
                    ok("a@b.c"),
                ),
                (
                    r#"{"email": "a@b.c", "email_verified": false}"#,
                    none.clone(),
                ),
                (r#"{"email": "a@b.c"}"#, none.clone()),
                (r#"{"email": "", "email_verified": true}"#, none.clone()),
                (r#"{"email": null, "email_verified": null}"#, none.clone()),
                (
                    r#"{"email": 42, "email_verified": true}"#,
                    malformed("user.email: expected a string, found a number"),
                ),
                (
                    r#"{"email": "a@b.c", "email_verified": "true"}"#,
                    malformed("user.email_verified: expected a boolean, found a string"),
                ),
                ("", malformed("missing field `user`")),
                ("null", malformed("missing field `user`")),
                (
                    r#""auth0|1""#,
                    malformed("user: expected an object, found a string"),
                ),
                // The rest of the user is not read, so not checked: as in JavaScript.
                (
                    r#"{"user_id": 5, "name": [], "email": "a@b.c", "email_verified": true}"#,
                    ok("a@b.c"),
                ),
            ];
            for (user, expected) in cases {
                assert_eq!(verified_email_of(user), expected, "user {user}");
            }
            // Reading the whole user gives the same errors for the two members.
            for user in [
                r#"{"user_id": "u", "email": 42}"#,
                r#"{"user_id": "u", "email_verified": 1}"#,
            ] {
                let event =
                    Event::from_json_text_lazily(&format!(r#"{{"user": {user}}}"#)).unwrap();
                let _ = event.user.verified_email();
                assert_eq!(
                    event.read_error().map(|err| err.to_string()),
                    verified_email_of(user).1
                );
            }
        }

        #[test]
        fn the_verified_email_and_the_whole_user_read_in_either_order() {
            let text = r#"{"user": {"user_id": "u", "name": "Ann", "email": "a@b.c", "email_verified": true}}"#;
            let event = Event::from_json_text_lazily(text).unwrap();
            assert_eq!(event.verified_email(), Some("a@b.c"));
            assert_eq!(
                (event.user.name.as_deref(), event.verified_email()),
                (Some("Ann"), Some("a@b.c"))
            );
            let event = Event::from_json_text_lazily(text).unwrap();
            assert_eq!(event.user.user_id, "u");
            assert_eq!(event.verified_email(), Some("a@b.c"));
            assert!(event.read_error().is_none());
        }

        #[test]
        fn a_missing_user_fails_only_when_read() {
            let run = Harness::new().run(json!({}), reads_the_user);
            assert_eq!(
                run.failure().as_deref(),
                Some("malformed event: missing field `user`")
            );
            let event = Event::from_json_lazily(json!({})).unwrap();
            assert!(event.read_error().is_none());
            assert_eq!(event.user.user_id, "");
            assert_eq!(
                event.read_error().map(|err| err.to_string()).as_deref(),
                Some("malformed event: missing field `user`")
            );
        }

        async fn reads_the_identities(event: &Event, api: &mut Api) -> Result<(), Error> {
            let social = event
                .user
                .identities
                .iter()
                .any(|id| id.is_social == Some(true));
            api.id_token()
                .set_custom_claim("https://example.com/social", social)
        }

        #[test]
        fn the_users_nested_parts_decode_only_when_read() {
            let event = json!({"user": {
                "user_id": "u",
                "email_verified": true,
                "identities": [{"isSocial": "no"}],
                "enrolledFactors": "none",
                "app_metadata": {"plan": "pro"},
            }});
            let run = Harness::new().run(event.clone(), reads_the_user);
            assert!(run.result.is_ok(), "{:?}", run.result);
            let run = Harness::new().run(event, reads_the_identities);
            assert_eq!(
                run.failure().as_deref(),
                Some("malformed event: user.identities[0].isSocial: expected a boolean, found a string")
            );
            assert_eq!(run.outcome().commands, []);
        }

        #[test]
        fn the_users_own_parts_are_named_by_their_path_in_the_event() {
            // In WebAssembly they stay in the shim until read, and are asked for by this name.
            let user = User::from_json(full_event()["user"].take()).unwrap();
            assert_eq!(
                [
                    user.app_metadata.part_name(),
                    user.user_metadata.part_name(),
                    user.identities.part_name(),
                    user.enrolled_factors.part_name(),
                ],
                [
                    "user.app_metadata",
                    "user.user_metadata",
                    "user.identities",
                    "user.enrolledFactors"
                ]
            );
        }

        #[test]
        fn from_json_still_checks_every_part_at_once() {
            let err = Event::from_json(
                json!({"user": {"user_id": "u"}, "stats": {"logins_count": "many"}}),
            )
            .unwrap_err();
            assert_eq!(
                err.to_string(),
                "malformed event: stats.logins_count: expected a whole number, found a string"
            );
        }
    }
}
