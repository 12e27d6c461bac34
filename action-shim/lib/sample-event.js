'use strict';
/**
 * A realistic post-login event, like the sample in the Auth0 editor's Test tab (AUTH0.md §3, and
 * the post-login v3 event type), and the merge that fills in what a hand-written event file
 * leaves out. `postlogin test` runs every event through withSampleDefaults, so a file holding
 * just `{ "user": { "email": "a@b.c" } }` still gets a client, a connection, a request with
 * geoip, a transaction, and so on.
 *
 * Left out on purpose, as Auth0 leaves them out for most logins: organization, resource_server,
 * session, refresh_token, user.enrolledFactors (an event that lists enrolled factors makes the
 * emulator check MFA challenges against them). Give them in the event file when the Action
 * needs them.
 */

function sampleEvent() {
  return {
    authentication: {
      methods: [{ name: 'pwd', timestamp: '2026-01-15T09:30:00.000Z' }],
    },
    authorization: { roles: [] },
    client: { client_id: 'sample-client-id-0123456789', name: 'Sample Web App', metadata: {} },
    connection: { id: 'con_SampleConnection01', name: 'Username-Password-Authentication', strategy: 'auth0', metadata: {} },
    request: {
      ip: '203.0.113.42',
      method: 'GET',
      hostname: 'sample-tenant.us.auth0.com',
      language: 'en',
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
      query: {},
      body: {},
      geoip: {
        cityName: 'Seattle',
        continentCode: 'NA',
        countryCode: 'US',
        countryCode3: 'USA',
        countryName: 'United States of America',
        latitude: 47.6062,
        longitude: -122.3321,
        subdivisionCode: 'WA',
        subdivisionName: 'Washington',
        timeZone: 'America/Los_Angeles',
      },
    },
    stats: { logins_count: 7 },
    tenant: { id: 'sample-tenant' },
    transaction: {
      id: 'txn_SampleTransaction01',
      locale: 'en',
      protocol: 'oidc-basic-profile',
      requested_scopes: ['openid', 'profile', 'email'],
      acr_values: [],
      ui_locales: [],
      prompt: [],
      redirect_uri: 'https://app.example.com/callback',
      response_type: ['code'],
      response_mode: 'query',
      state: 'sample-app-state',
      metadata: {},
    },
    user: {
      user_id: 'auth0|5f7c8ec7c33c6c004bbafe82',
      email: 'jane.doe@example.com',
      email_verified: true,
      name: 'Jane Doe',
      given_name: 'Jane',
      family_name: 'Doe',
      nickname: 'jane.doe',
      picture: 'https://s.gravatar.com/avatar/0000000000000000000000000000000?s=480&d=mp',
      created_at: '2025-03-02T10:00:00.000Z',
      updated_at: '2026-01-15T09:30:00.000Z',
      last_password_reset: '2025-11-20T08:00:00.000Z',
      app_metadata: {},
      user_metadata: {},
      identities: [
        { connection: 'Username-Password-Authentication', provider: 'auth0', user_id: '5f7c8ec7c33c6c004bbafe82', isSocial: false },
      ],
      multifactor: [],
    },
  };
}

const isPlainObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * `overrides` deep-merged over `defaults`: objects merge key by key, anything else (arrays
 * included) replaces the default whole, and a null removes the field (Auth0 omits fields rather
 * than sending null, so null is how an event file says "not there").
 */
function mergeOver(defaults, overrides) {
  const merged = {};
  for (const key of new Set([...Object.keys(defaults), ...Object.keys(overrides)])) {
    if (!(key in overrides)) merged[key] = defaults[key];
    else if (overrides[key] === null) continue;
    else if (isPlainObject(defaults[key]) && isPlainObject(overrides[key])) merged[key] = mergeOver(defaults[key], overrides[key]);
    else merged[key] = overrides[key];
  }
  return merged;
}

/** The event of an event file with the sample's fields under it (the file's win). */
function withSampleDefaults(event) {
  if (!isPlainObject(event)) throw new TypeError('the event must be a JSON object');
  return JSON.parse(JSON.stringify(mergeOver(sampleEvent(), event)));
}

module.exports = { sampleEvent, withSampleDefaults };
