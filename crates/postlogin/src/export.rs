//! The WebAssembly edge: what `#[postlogin::action]` expands to calls into here.

use std::rc::Rc;

use wasm_bindgen::JsValue;

use crate::api::Api;
use crate::event::Event;
use crate::host::RuntimeHost;
use crate::outcome::Outcome;
use crate::policy::Policy;
use crate::secrets::Secrets;
use crate::Error;

/// Decodes Auth0's `event`, runs the Action with the runtime's capabilities (`policy` from the
/// shim's config, `cache` being Auth0's `api.cache`) and returns the [`Outcome`] as a plain
/// object: `{commands: [{op, args}], failure: null | string, logs: [string]}`.
pub async fn execute<F>(event: JsValue, policy: JsValue, cache: JsValue, action: F) -> JsValue
where
    F: AsyncFnOnce(&Event, &mut Api) -> Result<(), Error>,
{
    let outcome = match Event::from_json(crate::json::from_js(&event)) {
        Err(err) => Outcome::new(Err(&err), Vec::new(), Vec::new(), &Secrets::default()),
        Ok(event) => {
            let policy = Rc::new(Policy::from_json(&crate::json::from_js(&policy)));
            let mut api = Api::new(Rc::new(RuntimeHost::new(cache)), policy, &event);
            let result = action(&event, &mut api).await;
            let (commands, logs) = api.into_parts();
            Outcome::new(result.as_ref().map(|_| ()), commands, logs, &event.secrets)
        }
    };
    crate::json::to_js(&outcome.to_value())
}
