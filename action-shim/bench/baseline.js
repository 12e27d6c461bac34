'use strict';
/**
 * enrich-from-backend, written by hand the way a careful JavaScript developer would: the
 * reference the compiled postlogin artifact is tested against and benchmarked with.
 *
 * The job (the seed blog post, made safe):
 *   1. POST a client-credentials request to {auth0_domain}/oauth/token,
 *   2. GET {backend_url}/api/users/{email} with that bearer token,
 *   3. set the JSON answer as the claim http://test.org/extra_info on the access token, then
 *      on the ID token.
 * Users without a verified email are left alone (no request at all); a 404 from the backend means
 * "nothing to add". Every other failure denies the login with a short reason that names what
 * failed and never carries a secret, a token or a response body. The handler never throws: it
 * denies and resolves.
 *
 * Node built-ins and global fetch only, so it runs on Auth0's node18 and node22 runtimes.
 * The client-credentials token is reused (AUTH0.md §6): it is kept in module-scope memory, keyed
 * by auth0_domain + client_id + audience, until shortly before its expires_in, so a warm instance
 * asks the token endpoint once per token lifetime instead of once per login. Logins in flight
 * together share one token request. A failed request is never remembered.
 */

const CLAIM_NAME = 'http://test.org/extra_info';
const REQUIRED_SECRETS = ['auth0_domain', 'client_id', 'client_secret', 'audience', 'backend_url'];
// Auth0 gives the whole trigger 20 s and advises HTTP timeouts well under 10 s (AUTH0.md §2).
const HTTP_TIMEOUT_MS = 5000;
// A reused token is dropped this long before it expires (at most half its lifetime), so a token
// is never sent when it is about to expire on its way to the backend.
const TOKEN_EXPIRY_MARGIN_MS = 60 * 1000;
// Module scope survives between logins on a warm node22 instance (AUTH0.md §1). One Action has
// one set of secrets, so this holds one entry in practice; the bound keeps it small regardless.
const TOKEN_CACHE_MAX_ENTRIES = 16;
const tokenCache = new Map(); // key -> { token, expiresAt } or { pending: Promise<string> }

/** A failure whose message is safe to show as the deny reason. */
class LoginDenied extends Error {}

function deny(reason) {
  throw new LoginDenied(reason);
}

function readSecrets(event) {
  const secrets = (event && event.secrets) || {};
  const values = {};
  for (const name of REQUIRED_SECRETS) {
    const value = secrets[name];
    if (typeof value !== 'string' || value === '') deny(`Action misconfigured: secret ${name} is missing or empty`);
    values[name] = value;
  }
  return values;
}

// Returns the email to look up, or null when this user is not to be enriched. A field of the
// wrong type means the event is not what Auth0 sends: deny rather than guess.
function emailToLookUp(event) {
  const user = event && event.user;
  if (user === null || typeof user !== 'object' || Array.isArray(user)) deny('Malformed event: event.user is missing or not an object');
  const { email, email_verified: verified } = user;
  if (email !== undefined && email !== null && typeof email !== 'string') deny('Malformed event: event.user.email is not a string');
  if (verified !== undefined && verified !== null && typeof verified !== 'boolean') deny('Malformed event: event.user.email_verified is not a boolean');
  if (!email || verified !== true) return null; // never trust an unverified email
  return email;
}

// A bare host means https://host; a full origin is used as is; trailing slashes are dropped.
function originOf(secretName, value) {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
  let url;
  try {
    url = new URL(withScheme);
  } catch {
    deny(`Action misconfigured: secret ${secretName} is not a valid host or URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') deny(`Action misconfigured: secret ${secretName} must be an http(s) URL`);
  return withScheme.replace(/\/+$/, '');
}

// fetch with a deadline. Redirects are not followed: the token request carries the client
// secret, and a redirect (307/308 keep the body) must not forward it to another host.
// Only a fixed description of the failure escapes: error messages may quote URLs.
async function request(what, url, init) {
  try {
    return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  } catch (error) {
    deny(error && error.name === 'TimeoutError' ? `${what} request timed out` : `${what} request failed`);
  }
}

// Read a JSON body under the same deadline; undefined when it is not JSON.
async function readJson(what, response) {
  let text;
  try {
    text = await response.text();
  } catch (error) {
    deny(error && error.name === 'TimeoutError' ? `${what} answer timed out` : `${what} answer could not be read`);
  }
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

// Free the connection without reading a body we will not use.
function discardBody(response) {
  if (response.body) response.body.cancel().catch(() => {});
}

async function fetchAccessToken(secrets) {
  const requestedAt = Date.now();
  const response = await request('Token endpoint', `${originOf('auth0_domain', secrets.auth0_domain)}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      client_id: secrets.client_id,
      client_secret: secrets.client_secret,
      audience: secrets.audience,
      grant_type: 'client_credentials',
    }),
  });
  if (!response.ok) {
    discardBody(response);
    deny(`Token endpoint returned HTTP ${response.status}`);
  }
  const answer = await readJson('Token endpoint', response);
  if (!answer) deny('Token endpoint answer is not JSON');
  const token = answer.value && answer.value.access_token;
  if (typeof token !== 'string' || token === '') deny('Token endpoint answer has no access_token');
  // Lifetime counted from when the request was sent; no usable expires_in means no reuse.
  const expiresIn = answer.value.expires_in;
  const lifetimeMs = typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : 0;
  const expiresAt = requestedAt + lifetimeMs - Math.min(TOKEN_EXPIRY_MARGIN_MS, lifetimeMs / 2);
  return { token, expiresAt };
}

// A token for these credentials: the remembered one while it is fresh, otherwise a new one
// (one request shared by every login waiting for it).
function accessTokenFor(secrets) {
  const key = tokenKey(secrets);
  const entry = tokenCache.get(key);
  if (entry && entry.pending) return entry.pending;
  if (entry && Date.now() < entry.expiresAt) return Promise.resolve(entry.token);
  tokenCache.delete(key);
  const inFlight = {};
  inFlight.pending = fetchAccessToken(secrets).then(
    ({ token, expiresAt }) => {
      if (tokenCache.get(key) === inFlight) {
        tokenCache.delete(key);
        if (Date.now() < expiresAt) remember(key, { token, expiresAt });
      }
      return token;
    },
    (error) => {
      if (tokenCache.get(key) === inFlight) tokenCache.delete(key);
      throw error;
    },
  );
  remember(key, inFlight);
  return inFlight.pending;
}

// The backend refused the token (revoked, rotated signing key): the next login fetches a new one.
function forgetAccessToken(secrets, accessToken) {
  const key = tokenKey(secrets);
  const entry = tokenCache.get(key);
  if (entry && entry.token === accessToken) tokenCache.delete(key);
}

function tokenKey(secrets) {
  return JSON.stringify([secrets.auth0_domain, secrets.client_id, secrets.audience]);
}

function remember(key, entry) {
  // Expired entries go first, then the oldest: the map never grows past its bound.
  if (tokenCache.size >= TOKEN_CACHE_MAX_ENTRIES) {
    const now = Date.now();
    for (const [other, value] of tokenCache) {
      if (!value.pending && now >= value.expiresAt) tokenCache.delete(other);
    }
    if (tokenCache.size >= TOKEN_CACHE_MAX_ENTRIES) tokenCache.delete(tokenCache.keys().next().value);
  }
  tokenCache.set(key, entry);
}

// The user's record, or undefined when the backend does not know them (404).
async function fetchUserInfo(secrets, email, accessToken) {
  // The email is ONE path segment: '/', '?', '#', '%', '+', spaces and non-ASCII must all be escaped.
  const url = `${originOf('backend_url', secrets.backend_url)}/api/users/${encodeURIComponent(email)}`;
  const response = await request('Backend', url, {
    method: 'GET',
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
  });
  if (response.status === 404) {
    discardBody(response);
    return undefined;
  }
  if (!response.ok) {
    discardBody(response);
    if (response.status === 401) forgetAccessToken(secrets, accessToken);
    deny(`Backend returned HTTP ${response.status}`);
  }
  const answer = await readJson('Backend', response);
  if (!answer) deny('Backend answer is not JSON');
  return answer;
}

exports.onExecutePostLogin = async (event, api) => {
  try {
    const secrets = readSecrets(event);
    const email = emailToLookUp(event);
    if (email === null) return;
    const accessToken = await accessTokenFor(secrets);
    const userInfo = await fetchUserInfo(secrets, email, accessToken);
    if (userInfo === undefined) return;
    api.accessToken.setCustomClaim(CLAIM_NAME, userInfo.value);
    api.idToken.setCustomClaim(CLAIM_NAME, userInfo.value);
  } catch (error) {
    // Anything unexpected gets a fixed reason: its message could carry a secret or a token.
    api.access.deny(error instanceof LoginDenied ? error.message : 'enrich-from-backend failed unexpectedly');
  }
};
