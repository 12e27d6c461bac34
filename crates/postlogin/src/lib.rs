//! Write Auth0 post-login Actions in Rust.
//!
//! An Action is an `async fn(&Event, &mut Api) -> Result<(), Error>` marked with
//! [`#[postlogin::action]`](action). It reads the typed [`Event`], calls out through
//! [`Api::http`], and records what Auth0 should do (claims, deny, …) as ordered [`Command`]s.
//! `postlogin build` compiles it into one JavaScript file for the Auth0 editor; natively,
//! [`testing::Harness`] runs the very same function under `cargo test`.
//!
//! ```
//! use postlogin::{Api, Error, Event};
//!
//! #[postlogin::action]
//! async fn on_execute_post_login(event: &Event, api: &mut Api) -> Result<(), Error> {
//!     if event.user.verified_email().is_some() {
//!         api.access_token().set_custom_claim("https://example.com/verified", true)?;
//!     }
//!     Ok(())
//! }
//! ```

#[cfg(target_arch = "wasm32")]
mod abi;
#[cfg(any(target_arch = "wasm32", test))]
mod allocator;
mod api;
mod claims;
mod decode;
mod error;
mod event;
mod host;
pub mod http;
mod json;
mod lazy;
mod oauth;
mod outcome;
mod policy;
mod raw_json;
mod secrets;
mod text;
pub mod url;

#[cfg(target_arch = "wasm32")]
mod export;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use api::{
    AccessApi, AccessTokenApi, Api, AuthenticationApi, Command, Factor, IdTokenApi, MultifactorApi,
    PhoneMethod, RedirectApi, TransactionApi, UserApi,
};
pub use error::{Error, Service};
pub use event::{
    Authentication, AuthenticationMethod, Authorization, Client, Connection, CustomDomain, Device,
    EnrolledFactor, Event, GeoIp, Identity, Lazy, Organization, Prompt, RefreshToken,
    RefreshTokenResourceServer, Request as EventRequest, ResourceServer, RiskAssessment,
    SecurityContext, Session, SessionClient, Stats, Tenant, Transaction, User,
};
pub use host::CacheRecord;
pub use http::{Http, Method, Request, Response};
pub use oauth::{AccessToken, ClientCredentials};
pub use outcome::Outcome;
pub use policy::Policy;
pub use postlogin_macros::action;
pub use raw_json::{JsonArgument, RawJson};
pub use secrets::Secrets;
pub use serde_json::{self, json, Value};
pub use url::BaseUrl;

/// What `#[postlogin::action]` expands to refers to; not a public API.
#[doc(hidden)]
pub mod __private {
    #[cfg(target_arch = "wasm32")]
    pub use crate::export::{handle, start, start_without_event};
}
