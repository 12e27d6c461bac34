'use strict';
// Which custom claims Auth0 keeps, drops silently, or refuses (AUTH0.md §4, §5).
// The emulator records every setCustomClaim call; these rules decide what would reach the token.

// Names Auth0 drops without an error (the list in AUTH0.md §5). `scope` is not here: it throws.
const SILENTLY_DROPPED_NAMES = new Set(`acr act active amr at_hash ath attest aud auth_time
  authorization_details azp c_hash client_id cnf cty dest entitlements events exp groups gty htm htu
  iat internalService iss jcard jku jti jwe jwk kid may_act mky nbf nonce object_id org_id org_name
  orig origid permissions roles rph s_hash sid sip_callid sip_cseq_num sip_date sip_from_tag
  sip_via_branch sub sub_jwk toe txn typ uuid vot vtm x5t#S256`.split(/\s+/));

const RESERVED_NAMESPACE_HOSTS = ['auth0.com', 'webtask.io', 'webtask.run'];

// A claim is "namespaced" when its name is a URL or URN (it carries a scheme).
function isNamespaced(name) {
  return /^[a-z][a-z0-9+.-]*:/i.test(name);
}

function isUnderReservedNamespace(name) {
  if (/^urn:auth0(:|$)/i.test(name)) return true;
  let host;
  try {
    host = new URL(name).hostname.toLowerCase();
  } catch {
    return false;
  }
  return RESERVED_NAMESPACE_HOSTS.some((reserved) => host === reserved || host.endsWith(`.${reserved}`));
}

// Access tokens for Auth0's own APIs (Management API, MFA) drop non-namespaced claims;
// /userinfo is exempt (AUTH0.md §5).
function isAuth0ApiAudience(audience) {
  if (typeof audience !== 'string') return false;
  let url;
  try {
    url = new URL(audience);
  } catch {
    return false;
  }
  return /^\/(api\/v2|mfa)\/?$/.test(url.pathname);
}

/**
 * Decide what Auth0 does with `setCustomClaim(name, …)` on one token.
 * @param {'accessToken'|'idToken'} token
 * @param {unknown} name
 * @param {{ audience?: string }} context  the requested audience, for the Auth0-API rule
 * @returns {'throw'|'drop'|'keep'}
 */
function claimFate(token, name, { audience } = {}) {
  if (typeof name !== 'string') return 'throw'; // inferred: a claim needs a string name
  if (name === 'scope') return 'throw';
  if (SILENTLY_DROPPED_NAMES.has(name)) return 'drop';
  if (isUnderReservedNamespace(name)) return 'drop';
  if (token === 'accessToken' && !isNamespaced(name) && isAuth0ApiAudience(audience)) return 'drop';
  return 'keep';
}

/** Bytes of custom claims on one token as Auth0 counts them: names + JSON values. */
function claimsByteSize(claims) {
  let total = 0;
  for (const [name, value] of Object.entries(claims)) {
    total += Buffer.byteLength(name) + Buffer.byteLength(JSON.stringify(value) ?? '');
  }
  return total;
}

module.exports = { claimFate, claimsByteSize, SILENTLY_DROPPED_NAMES };
