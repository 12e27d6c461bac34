//! A test-only Action that misbehaves on request, so the node suites can prove what the shim
//! promises: a panic (before or after an await) fails that login cleanly and the next login
//! runs on a fresh instance; a hang is cut off at the time budget. Its policy is
//! `on_error = "continue"`, so those failures also prove that branch: one log line, no deny,
//! none of the Action's commands applied. Never deploy it.
//!
//! `event.user.app_metadata.fault`: `"panic"`, `"panic-after-await"` (after a GET to the secret
//! `probe_url`), `"slow-probe"` (a GET to `probe_url` allowed 5 s, longer than the budget),
//! `"hang"`, `"race"` (GETs `probe_url/fast` and `probe_url/slow` together, keeps the first
//! answer, then GETs `probe_url/slower`, during which the other answer comes in),
//! `"odd-headers"` (GETs `probe_url/headers` with a header given twice and one called
//! `constructor`, and sets the probe's answer, the headers it received, as the claim),
//! `"reserved-claim"` (sets `roles`, which Auth0 would drop),
//! `"huge-claim"` (120 kB of claims on the ID token), or absent (sets
//! `https://example.com/fault` = `"none"`).

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use postlogin::{Api, Error, Event, Request};

pub const CLAIM: &str = "https://example.com/fault";

#[postlogin::action]
pub async fn on_execute_post_login(event: &Event, api: &mut Api) -> Result<(), Error> {
    match event
        .user
        .app_metadata
        .get("fault")
        .and_then(|f| f.as_str())
    {
        Some("panic") => panic!("injected panic"),
        Some("panic-after-await") => {
            let probe = event.secrets.url("probe_url")?;
            api.http().send(Request::get(probe.as_str())).await?;
            panic!("injected panic after an await")
        }
        Some("slow-probe") => {
            let probe = event.secrets.url("probe_url")?;
            let request = Request::get(probe.as_str()).timeout(Duration::from_secs(5));
            api.http().send(request).await?;
            Ok(())
        }
        Some("hang") => std::future::pending().await,
        Some("race") => {
            let probe = event.secrets.url("probe_url")?;
            let http = api.http();
            let fast = http.send(Request::get(probe.join(["fast"])));
            let slow = http.send(Request::get(probe.join(["slow"])));
            first_of(fast, slow).await?;
            http.send(Request::get(probe.join(["slower"]))).await?;
            api.access_token().set_custom_claim(CLAIM, "none")
        }
        Some("odd-headers") => {
            let probe = event.secrets.url("probe_url")?;
            let request = Request::get(probe.join(["headers"]))
                .header("x-twice", "1")
                .header("x-twice", "2")
                .header("constructor", "c");
            let answer = api.http().send(request).await?.json_raw()?;
            api.access_token().set_custom_claim(CLAIM, answer)
        }
        Some("reserved-claim") => api.id_token().set_custom_claim("roles", "admin"),
        Some("huge-claim") => {
            let half = "x".repeat(60_000);
            api.id_token()
                .set_custom_claim("https://example.com/a", half.as_str())?;
            api.id_token()
                .set_custom_claim("https://example.com/b", half)
        }
        Some(other) => Err(Error::action(format!("unknown fault {other}"))),
        None => api.access_token().set_custom_claim(CLAIM, "none"),
    }
}

/// The output of whichever of `a` and `b` finishes first; the other is dropped.
async fn first_of<T>(a: impl Future<Output = T>, b: impl Future<Output = T>) -> T {
    let (mut a, mut b) = (pin!(a), pin!(b));
    poll_fn(|context| match a.as_mut().poll(context) {
        Poll::Ready(output) => Poll::Ready(output),
        Poll::Pending => b.as_mut().poll(context),
    })
    .await
}
