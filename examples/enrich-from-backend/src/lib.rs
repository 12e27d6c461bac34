//! The seed's Action, done right: a client-credentials token, then the team's backend looked up
//! by the user's VERIFIED email (one percent-encoded path segment), and its JSON answer as the
//! claim `http://test.org/extra_info` on both tokens.
//!
//! Secrets: `auth0_domain` (bare host or full origin), `client_id`, `client_secret`, `audience`,
//! `backend_url`.

use postlogin::{Api, ClientCredentials, Error, Event, Request};

pub const CLAIM: &str = "http://test.org/extra_info";

#[postlogin::action]
pub async fn on_execute_post_login(event: &Event, api: &mut Api) -> Result<(), Error> {
    // Configuration first: a misconfigured Action should fail loudly on every login, not only
    // on the logins that happen to reach the backend.
    let secrets = &event.secrets;
    let credentials = ClientCredentials {
        origin: secrets.origin("auth0_domain")?,
        client_id: secrets.get("client_id")?,
        client_secret: secrets.get("client_secret")?,
        audience: secrets.get("audience")?,
    };
    let backend = secrets.url("backend_url")?;
    api.http().check_url(&backend, "backend")?;

    // Anyone can sign up with someone else's address: only a verified one selects data.
    let Some(email) = event.verified_email() else {
        return Ok(());
    };

    // Reused across logins (instance memory, then api.cache) until shortly before it expires.
    let token = credentials.token(api).await?;
    let request = Request::get(backend.join(["api", "users", email]))
        .service("backend")
        .bearer(token.as_str());
    let answer = api.http().send(request).await?;
    if answer.status() == 404 {
        return Ok(());
    }
    // Passed on as it came: checked to be JSON, never parsed into a tree.
    let extra_info = answer.error_for_status()?.json_raw()?;

    api.access_token()
        .set_custom_claim(CLAIM, extra_info.clone())?;
    api.id_token().set_custom_claim(CLAIM, extra_info)?;
    Ok(())
}
