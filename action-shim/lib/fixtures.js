'use strict';
/**
 * The login fixtures the enrich-from-backend suites share: the Action's secrets for a pair of
 * local servers, and a realistic post-login event.
 */

const { randomId } = require('./servers');

/** Secrets for `env`; an override given as undefined removes that secret. */
function makeSecrets(env, overrides = {}) {
  const secrets = {
    auth0_domain: env.token.url,
    client_id: `CID-${randomId()}`, // fresh per test: a fresh token-cache key
    client_secret: `CS-very-secret-${randomId()}`,
    audience: `https://backend.example.test/${randomId()}`,
    backend_url: env.backend.url,
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete secrets[name];
    else secrets[name] = value;
  }
  return secrets;
}

// A realistic post-login event; `user` fields override the defaults, and a field given as
// undefined is left out (the JSON round trip in runLogin drops it).
function makeEvent(user = {}) {
  return {
    user: {
      user_id: 'auth0|65f0c0ffee',
      email: 'alice@example.com',
      email_verified: true,
      name: 'Alice Example',
      app_metadata: {},
      user_metadata: {},
      identities: [{ connection: 'Username-Password-Authentication', provider: 'auth0', user_id: '65f0c0ffee', isSocial: false }],
      ...user,
    },
    client: { client_id: 'app-client-id', name: 'Web App', metadata: {} },
    connection: { id: 'con_1', name: 'Username-Password-Authentication', strategy: 'auth0', metadata: {} },
    request: { ip: '203.0.113.7', method: 'POST', query: {}, body: {}, geoip: {}, hostname: 'tenant.example.test', language: 'en', user_agent: 'node-test' },
    transaction: { id: 'txn_1', protocol: 'oidc-basic-profile', requested_scopes: ['openid', 'email'], locale: 'en', ui_locales: [], prompt: [] },
    stats: { logins_count: 3 },
    tenant: { id: 'tenant-id' },
    authorization: { roles: [] },
  };
}

module.exports = { makeSecrets, makeEvent };
