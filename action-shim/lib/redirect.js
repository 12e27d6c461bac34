'use strict';
// api.redirect with Auth0's semantics (AUTH0.md §4; Auth0's "Redirect with Actions" page and the
// post-login v3 type definitions):
// - sendUserTo(url, { query }): the browser goes to url after this Action, with the query
//   parameters and a `state` Auth0 adds; the flow resumes in onContinuePostLogin when the user
//   comes back to /continue?state=…
// - In a flow with no browser (password grant, refresh token, …) or with prompt=none, v3 does not
//   skip the redirect: the login fails with `interaction_required`. canRedirect() (deprecated)
//   says in advance.
// - encodeToken: an HS256 JWT for the redirect target; validateToken: checks the one the target
//   sends back to /continue (signature, expiry, standard claims, subject and state).

const crypto = require('node:crypto');
const { encodeHs256, verifyHs256, JwtError } = require('./jwt');

// Documented as unable to redirect: oauth2-resource-owner, oauth2-refresh-token. The others are
// the same kind of grant with no browser in the loop (inferred).
const NON_INTERACTIVE_PROTOCOLS = new Set([
  'oauth2-resource-owner',
  'oauth2-resource-owner-jwt-bearer',
  'oauth2-password',
  'oauth2-refresh-token',
  'oauth2-token-exchange',
  'oauth2-access-token',
  'wstrust-usernamemixed',
]);

const DEFAULT_TOKEN_TTL_SECONDS = 900; // "@default 900 15 minutes."
const DEFAULT_TOKEN_PARAMETER = 'session_token';

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Why this transaction cannot redirect the user, or undefined when it can. */
function redirectBlocker(event) {
  const protocol = event && event.transaction && event.transaction.protocol;
  if (NON_INTERACTIVE_PROTOCOLS.has(protocol)) return `the ${protocol} protocol has no browser to redirect`;
  // transaction.prompt is a list; the authorize request's own prompt is a space-separated string.
  const prompts = [];
  for (const source of [event && event.transaction && event.transaction.prompt, event && event.request && event.request.query && event.request.query.prompt]) {
    if (Array.isArray(source)) prompts.push(...source.map(String));
    else if (typeof source === 'string') prompts.push(...source.split(/\s+/));
  }
  if (prompts.includes('none')) return 'the request has prompt=none (silent authentication)';
  return undefined;
}

/**
 * Validate sendUserTo's arguments and build where the browser goes.
 * @returns {{ url: string, query: object, state: string, location: string }}
 */
function redirectTarget(url, options) {
  if (typeof url !== 'string') throw new TypeError('sendUserTo: url must be a string');
  let location;
  try {
    location = new URL(url);
  } catch {
    throw new TypeError('sendUserTo: url must be an absolute http: or https: URL');
  }
  if (location.protocol !== 'http:' && location.protocol !== 'https:') {
    throw new TypeError('sendUserTo: url must be an absolute http: or https: URL');
  }
  if (options !== undefined && !isPlainObject(options)) throw new TypeError('sendUserTo: options must be an object');
  const query = (options && options.query) || {};
  if (!isPlainObject(query)) throw new TypeError('sendUserTo: options.query must be an object of strings');
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== 'string') throw new TypeError(`sendUserTo: query parameter "${name}" must be a string`);
    location.searchParams.set(name, value);
  }
  const state = `emulated-state-${crypto.randomBytes(9).toString('base64url')}`;
  location.searchParams.set('state', state);
  return { url, query: { ...query }, state, location: location.href };
}

/** api.redirect.encodeToken: iss (tenant host) and sub (user) unless the payload sets them; iat, exp always. */
function encodeToken(options, { event, nowMs }) {
  if (!isPlainObject(options)) throw new TypeError('encodeToken: options { secret, payload, expiresInSeconds? } are required');
  const { secret, payload, expiresInSeconds = DEFAULT_TOKEN_TTL_SECONDS } = options;
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('encodeToken: secret must be a non-empty string');
  if (!isPlainObject(payload)) throw new TypeError('encodeToken: payload must be an object');
  if (typeof expiresInSeconds !== 'number' || !Number.isFinite(expiresInSeconds) || expiresInSeconds <= 0) {
    throw new TypeError('encodeToken: expiresInSeconds must be a positive number');
  }
  const iat = Math.floor(nowMs / 1000);
  const claims = {
    iss: event && event.request && event.request.hostname,
    sub: event && event.user && event.user.user_id,
    ...payload,
    iat,
    exp: iat + Math.floor(expiresInSeconds),
  };
  return encodeHs256(JSON.parse(JSON.stringify(claims)), secret);
}

function invalid(why) {
  return new Error(`The session token is invalid: ${why}`);
}

/**
 * api.redirect.validateToken in onContinuePostLogin: the token the redirect target sent to
 * /continue (body first, then query), checked like Auth0 does. Returns its claims.
 */
function validateToken(options, { event, expectedState, nowMs }) {
  if (!isPlainObject(options)) throw new TypeError('validateToken: options { secret, tokenParameterName? } are required');
  const { secret, tokenParameterName = DEFAULT_TOKEN_PARAMETER } = options;
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('validateToken: secret must be a non-empty string');
  if (typeof tokenParameterName !== 'string' || tokenParameterName.length === 0) throw new TypeError('validateToken: tokenParameterName must be a non-empty string');
  const request = (event && event.request) || {};
  const fromBody = request.body && request.body[tokenParameterName];
  const token = fromBody !== undefined ? fromBody : request.query && request.query[tokenParameterName];
  if (token === undefined) throw new Error(`The session token is missing: no "${tokenParameterName}" parameter in the /continue request`);
  let claims;
  try {
    claims = verifyHs256(token, secret);
  } catch (error) {
    if (error instanceof JwtError) throw invalid(error.message);
    throw error;
  }
  const numbers = ['iat', 'exp'].every((name) => typeof claims[name] === 'number' && Number.isFinite(claims[name]));
  const strings = ['sub', 'iss', 'state'].every((name) => typeof claims[name] === 'string' && claims[name].length > 0);
  if (!numbers || !strings) throw invalid('Missing or invalid standard claims');
  if (claims.exp * 1000 <= nowMs) throw invalid('the token has expired');
  if (claims.sub !== (event && event.user && event.user.user_id)) throw invalid('Subject in the token does not match the user logging in.');
  if (claims.state !== expectedState) throw invalid('State in the token does not match the /continue state.');
  return claims;
}

module.exports = {
  NON_INTERACTIVE_PROTOCOLS,
  DEFAULT_TOKEN_TTL_SECONDS,
  DEFAULT_TOKEN_PARAMETER,
  redirectBlocker,
  redirectTarget,
  encodeToken,
  validateToken,
};
