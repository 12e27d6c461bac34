//! The WebAssembly edge: what `#[postlogin::action]` expands to calls into here.
//!
//! The event comes in and the outcome goes out as JSON text: serde_json is needed anyway for
//! HTTP bodies and claims, and one parser is far smaller in wasm than a second, object-walking
//! (de)serializer (serde-wasm-bindgen) with its dozens of JavaScript imports.

use std::rc::Rc;

use crate::api::Api;
use crate::event::Event;
use crate::http::{FetchTransport, Http};
use crate::outcome::Outcome;
use crate::secrets::Secrets;
use crate::Error;

/// Decodes Auth0's `event` (its JSON text), runs the Action with the real capabilities and
/// returns the [`Outcome`] as JSON text: `{"commands": [{"op", "args"}], "failure": null}`.
pub async fn execute<F>(event_json: String, action: F) -> String
where
    F: AsyncFnOnce(&Event, &mut Api) -> Result<(), Error>,
{
    let outcome = match Event::from_json_str(&event_json) {
        Err(err) => Outcome::new(Err(&err), Vec::new(), &Secrets::default()),
        Ok(event) => {
            let mut api = Api::new(Http::new(Rc::new(FetchTransport)));
            let result = action(&event, &mut api).await;
            Outcome::new(
                result.as_ref().map(|_| ()),
                api.into_commands(),
                &event.secrets,
            )
        }
    };
    outcome.to_json()
}
