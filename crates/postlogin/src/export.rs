//! The WebAssembly edge: what `#[postlogin::action]` expands to calls into here, and the
//! executor the shim drives.
//!
//! One login is one task. The shim calls the handler's export (text crosses as `abi` says); the
//! event's parts come through `host.part` as the Action reads them, its secrets through
//! `host.secrets`. The task runs until it finishes or waits on requests it parked for the shim
//! (`host.fetch`, `host.sleep`: see `runtime::RuntimeHost`).
//! Every call into the wasm answers the outcome as JSON text (see `Outcome::to_json`), or the
//! task's id while it waits (`abi::Reply`); the shim then performs the requests it parked
//! during the call and calls `resume` with each answer. Concurrent logins on one instance are
//! separate tasks.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::prelude::wasm_bindgen;

use crate::abi::{self, Reply};
use crate::api::Api;
use crate::event::Event;
use crate::host::runtime::{self, Global, RuntimeHost};
use crate::outcome::Outcome;
use crate::policy::Policy;
use crate::secrets::Secrets;
use crate::Error;

type Task = Pin<Box<dyn Future<Output = Outcome>>>;

/// Logins in progress, by task id (a free slot is `None` and gets reused).
static TASKS: Global<RefCell<Vec<Option<Task>>>> = Global::new(Vec::new());
/// `[package.metadata.postlogin]`, handed over once per instance by `configure`; every login
/// shares it.
static POLICY: Global<RefCell<Option<Rc<Policy>>>> = Global::new(None);

/// The shim's first call into a new instance: the policy as numbers (parsing JSON for it
/// would put the parser into Actions that need none). The wasm's one `#[wasm_bindgen]` export,
/// and it needs to be one: wasm-pack runs wasm-bindgen, which refuses a module without its
/// runtime. The other exports speak `abi`, and take numbers and text only.
#[wasm_bindgen(js_name = postlogin_configure)]
pub fn configure(
    budget_ms: u32,
    request_timeout_ms: u32,
    retries: u32,
    allow_insecure_http: bool,
    max_response_bytes: u32,
) {
    let policy = Policy {
        budget_ms,
        request_timeout_ms,
        retries,
        allow_insecure_http,
        max_response_bytes: max_response_bytes as usize,
    };
    POLICY.with_borrow_mut(|shared| *shared = Some(Rc::new(policy)));
}

fn policy() -> Rc<Policy> {
    POLICY
        .with_borrow(|shared| shared.clone())
        .unwrap_or_default()
}

/// Runs `action` on one login: `event` is empty when the shim hands the event's parts over one
/// by one as they are read (`host.part`), or an event that is not an object, as JSON text, to
/// refuse; `audience` is the event's `resource_server.identifier` (or empty), which the shim
/// reads anyway (so its part need not cross); `now_ms` is `Date.now()`.
pub fn start<F>(event: &str, audience: &str, now_ms: f64, action: F) -> Reply
where
    F: AsyncFnOnce(&Event, &mut Api) -> Result<(), Error> + 'static,
{
    runtime::set_now(now_ms);
    let audience = (!audience.is_empty()).then(|| audience.to_owned());
    let event = if event.is_empty() {
        Event::from_host_lazily()
    } else {
        Err(Event::refusal(event))
    };
    spawn(Box::pin(async move {
        match event {
            Err(err) => Outcome::new(Err(&err), Vec::new(), Vec::new(), &Secrets::default()),
            Ok(event) => {
                let mut api = Api::new(RuntimeHost, policy(), audience);
                let result = action(&event, &mut api).await;
                // A part the Action read that did not fit fails the login, whatever it did next.
                let result = result.and_then(|()| event.read_error().map_or(Ok(()), Err));
                let (commands, logs) = api.into_parts();
                Outcome::new(result.as_ref().map(|_| ()), commands, logs, &event.secrets)
            }
        }
    }))
}

/// Runs an `action` that does not read the event, which is then never parsed: an Action pays
/// only for what it uses. `audience` is the event's `resource_server.identifier` (or empty),
/// which Auth0's claim rules depend on.
pub fn start_without_event<F>(audience: &str, now_ms: f64, action: F) -> Reply
where
    F: AsyncFnOnce(&mut Api) -> Result<(), Error> + 'static,
{
    runtime::set_now(now_ms);
    let audience = (!audience.is_empty()).then(|| audience.to_owned());
    spawn(Box::pin(async move {
        let mut api = Api::new(RuntimeHost, policy(), audience);
        let result = action(&mut api).await;
        let (commands, logs) = api.into_parts();
        // No event, no secrets: there is nothing the Action could have read to scrub.
        Outcome::new(
            result.as_ref().map(|_| ()),
            commands,
            logs,
            &Secrets::default(),
        )
    }))
}

fn spawn(task: Task) -> Reply {
    let id = TASKS.with_borrow_mut(|tasks| match tasks.iter().position(Option::is_none) {
        Some(free) => free,
        None => {
            tasks.push(None);
            tasks.len() - 1
        }
    });
    run(id, task)
}

/// A handler's export (`#[postlogin::action]` generates it): `run` gets the event and the
/// audience as the shim passed them; its answer goes back to the shim.
///
/// # Safety
/// `event` and `audience` are text the shim wrote for this call (see `abi`).
pub unsafe fn handle(
    event: *mut u8,
    event_len: usize,
    audience: *mut u8,
    audience_len: usize,
    run: impl FnOnce(&str, &str) -> Reply,
) -> *const [usize; 2] {
    // SAFETY: as the caller promises.
    let (event, audience) = unsafe {
        (
            abi::take(event, event_len),
            abi::take(audience, audience_len),
        )
    };
    abi::answer(run(&event, &audience))
}

/// Delivers the shim's answer to request `request` of task `task` and runs the task on.
///
/// # Safety
/// `body` holds the answer's bytes, which the shim wrote for this call (`abi::take_answer`);
/// `status` is the answer's HTTP status or why there is none (`runtime::read_status`).
#[unsafe(export_name = "postlogin_resume")]
pub unsafe extern "C" fn resume(
    task: u32,
    request: u32,
    status: i32,
    body: *mut u8,
    body_len: usize,
    now_ms: f64,
) -> *const [usize; 2] {
    // SAFETY: as the caller promises.
    let body = unsafe { abi::take_answer(body, body_len) };
    abi::answer(resume_task(task, request, status, body, now_ms))
}

fn resume_task(task: u32, request: u32, status: i32, body: String, now_ms: f64) -> Reply {
    runtime::set_now(now_ms);
    runtime::deliver(request, status, body);
    let id = task as usize;
    match TASKS.with_borrow_mut(|tasks| tasks.get_mut(id).and_then(Option::take)) {
        Some(pending) => run(id, pending),
        // Only a shim bug gets here; the login fails rather than hangs.
        None => Reply::Text(
            Outcome::new(
                Err(&Error::action("internal error (unknown task)")),
                Vec::new(),
                Vec::new(),
                &Secrets::default(),
            )
            .to_json(),
        ),
    }
}

/// Drops a login the shim gave up on (its time budget ran out), and whatever it was waiting for.
#[unsafe(export_name = "postlogin_cancel")]
pub extern "C" fn cancel(task: u32) {
    let dropped =
        TASKS.with_borrow_mut(|tasks| tasks.get_mut(task as usize).and_then(Option::take));
    drop(dropped);
}

fn run(id: usize, mut task: Task) -> Reply {
    // Answers arrive only through `resume`, which polls again: the waker has nothing to do.
    match task.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(outcome) => Reply::Text(outcome.to_json()),
        Poll::Pending => {
            TASKS.with_borrow_mut(|tasks| tasks[id] = Some(task));
            // The requests it waits on went to the shim as they were parked (`host.fetch`…).
            Reply::Waiting(id)
        }
    }
}
