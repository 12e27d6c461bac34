//! The WebAssembly edge: what `#[postlogin::action]` expands to calls into here.

use std::rc::Rc;

use wasm_bindgen::JsValue;

use crate::api::Api;
use crate::event::Event;
use crate::http::{FetchTransport, Http};
use crate::outcome::Outcome;
use crate::secrets::Secrets;
use crate::Error;

/// Decodes Auth0's `event`, runs the Action with the real capabilities and returns the
/// [`Outcome`] as a plain object: `{commands: [{op, args}], failure: null | string}`.
pub async fn execute<F>(event: JsValue, action: F) -> JsValue
where
    F: AsyncFnOnce(&Event, &mut Api) -> Result<(), Error>,
{
    let outcome = match Event::from_json(crate::json::from_js(&event)) {
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
    crate::json::to_js(&outcome.to_value())
}
