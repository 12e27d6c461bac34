'use strict';
/**
 * The seed blog post's Action ("Use Auth0 custom actions to enrich user tokens with business
 * data", 2021; /work/shared/seed), ported from axios to the runtime's global fetch so it needs no
 * dependency. For the benchmark only: it is the "before" picture, NOT an example to follow.
 *
 * Faithful to the post:
 *   - a new client-credentials token on EVERY login (no reuse);
 *   - two sequential calls, no timeout, no retry;
 *   - the email pasted into the URL path unencoded, and not checked for email_verified;
 *   - every failure thrown (the login ends as access_denied with the thrown message);
 *   - axios semantics kept where the post relies on them: a JSON request body, a non-2xx answer
 *     throws "Request failed with status code N", the answer body is parsed as JSON when it is
 *     JSON and kept as text otherwise, and the claims are set only when that data is truthy.
 *
 * The only departures, so that it runs against the benchmark's local servers with the same
 * secrets as the other implementations: the post hard-codes `https://${auth0_domain}`, the
 * audience "http://PostLoginApi" and an ngrok backend URL; here auth0_domain may be a full origin
 * (a bare host still gets https://), and the audience and backend come from the secrets
 * `audience` and `backend_url`.
 */

// axios.post / axios.get as the post uses them, on fetch.
async function axiosLike(method, url, { data, headers = {} } = {}) {
  const init = { method, headers: { Accept: 'application/json, text/plain, */*', ...headers } };
  if (data !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(data);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  if (response.status < 200 || response.status >= 300) {
    throw new Error(`Request failed with status code ${response.status}`);
  }
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // axios (silentJSONParsing) hands back the raw text
  }
  return { status: response.status, data: parsed };
}

function tokenOrigin(domain) {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(domain) ? domain.replace(/\/+$/, '') : `https://${domain}`;
}

exports.onExecutePostLogin = async (event, api) => {
  // 1. First we need to retrieve an access token (client credentials, a new one every login).
  const access_token = await axiosLike('POST', `${tokenOrigin(event.secrets.auth0_domain)}/oauth/token`, {
    data: {
      client_id: event.secrets.client_id,
      client_secret: event.secrets.client_secret,
      audience: event.secrets.audience,
      grant_type: 'client_credentials',
    },
  });

  // 2. Call our api and retrieve the custom data.
  const users_response = await axiosLike('GET', `${event.secrets.backend_url}/api/users/${event.user.email}`, {
    headers: {
      Authorization: `Bearer ${access_token.data.access_token}`,
    },
  });

  // 3. Update the access_token and id_token for the user that is currently logging in.
  if (users_response.data) {
    api.accessToken.setCustomClaim('http://test.org/extra_info', users_response.data);
    api.idToken.setCustomClaim('http://test.org/extra_info', users_response.data);
  }
};
