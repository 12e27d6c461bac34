'use strict';
// What `postlogin test` shows: the sample event under an event file, and the report (JSON and
// text) with secrets redacted, cache values hidden and Auth0's 256-character log cap marked.

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { runLogin, createApi, LIMITS } = require('../emulator');
const { sampleEvent, withSampleDefaults } = require('../lib/sample-event');
const { createRedactor, runJson, runText } = require('../lib/report');

const action = (onExecutePostLogin) => ({ onExecutePostLogin });

describe('sample event defaults', () => {
  test('an empty event file gets the whole sample: user, client, connection, request with geoip, transaction, tenant, stats', () => {
    const event = withSampleDefaults({});
    assert.deepEqual(event, sampleEvent());
    for (const field of ['user_id', 'email', 'email_verified', 'name', 'identities', 'app_metadata', 'user_metadata', 'created_at']) {
      assert.ok(field in event.user, `user.${field}`);
    }
    assert.equal(typeof event.request.geoip.countryCode, 'string');
    assert.deepEqual(event.authorization, { roles: [] });
    assert.equal(event.organization, undefined, 'organization is optional, absent by default');
  });

  test('the file\'s fields win, objects merge deeply, arrays are replaced, null removes a field', () => {
    const event = withSampleDefaults({
      user: { email: 'a@example.test', app_metadata: { plan: 'pro' }, identities: [{ provider: 'google-oauth2', user_id: 'g1' }], name: null },
      request: { geoip: { countryCode: 'DE' } },
      organization: { id: 'org_1', name: 'acme' },
    });
    assert.equal(event.user.email, 'a@example.test');
    assert.equal(event.user.user_id, sampleEvent().user.user_id);
    assert.deepEqual(event.user.app_metadata, { plan: 'pro' });
    assert.deepEqual(event.user.identities, [{ provider: 'google-oauth2', user_id: 'g1' }]);
    assert.equal('name' in event.user, false);
    assert.equal(event.request.geoip.countryCode, 'DE');
    assert.equal(event.request.geoip.cityName, sampleEvent().request.geoip.cityName);
    assert.deepEqual(event.organization, { id: 'org_1', name: 'acme' });
  });

  test('a non-object event is refused', () => {
    assert.throws(() => withSampleDefaults([]), /JSON object/);
    assert.throws(() => withSampleDefaults(null), /JSON object/);
  });
});

describe('redaction', () => {
  const redact = createRedactor({ client_secret: 'CS-hunter22', pin: '12345', api_key: 'key-hunter22-long' });

  test('values of 6 characters or more become [secret NAME], the longest first; shorter ones stay', () => {
    assert.equal(redact.text('a CS-hunter22 b key-hunter22-long c 12345'), 'a [secret client_secret] b [secret api_key] c 12345');
    assert.deepEqual(redact.value({ 'CS-hunter22': ['x CS-hunter22', 1, null] }), { '[secret client_secret]': ['x [secret client_secret]', 1, null] });
  });

  test('a secret across the log cap is replaced whole on the kept side: no prefix shows', () => {
    const text = `${'x'.repeat(250)}CS-hunter22 after`;
    const { kept, cut } = redact.split(text, 256);
    assert.equal(kept, `${'x'.repeat(250)}[secret client_secret]`);
    assert.equal(cut, ' after');
    assert.deepEqual(redact.split('abcdef', 3), { kept: 'abc', cut: 'def' });
  });
});

describe('the report of a login', () => {
  const SECRETS = { client_secret: 'CS-very-secret-value', token_secret: 'redirect-signing-secret' };

  async function login(handler, options = {}) {
    return runLogin(action(handler), withSampleDefaults(options.event || {}), { secrets: SECRETS, api: createApi({ cache: options.cache }) });
  }

  test('JSON: outcome, calls, logs, ms first; secrets redacted everywhere; cache values only by size', async () => {
    const result = await login(async (event, api) => {
      api.cache.set('token', `AT-${event.secrets.client_secret}`);
      api.accessToken.setCustomClaim('https://example.test/s', event.secrets.client_secret);
      api.user.setAppMetadata('plan', 'gold');
      console.log('using %s', event.secrets.client_secret);
      api.access.deny(`bad ${event.secrets.client_secret}`);
    });
    const json = runJson([result], SECRETS);
    assert.deepEqual(Object.keys(json).slice(0, 5), ['outcome', 'reason', 'calls', 'logs', 'ms']);
    assert.equal(json.outcome, 'denied');
    assert.equal(json.reason, 'bad [secret client_secret]');
    assert.deepEqual(json.calls.map((call) => call.api), ['cache.set', 'accessToken.setCustomClaim', 'user.setAppMetadata', 'access.deny']);
    assert.deepEqual(json.calls[0].args, ['token', '[cache value, 23 chars]']);
    assert.deepEqual(json.logs, ['using [secret client_secret]']);
    assert.deepEqual(json.metadata.app, { plan: 'gold' });
    assert.equal(typeof json.ms, 'number');
    const everything = JSON.stringify(json);
    for (const value of Object.values(SECRETS)) assert.ok(!everything.includes(value));
  });

  test('text: calls numbered in order, claims per token, dropped claims, and where the log cap cuts', async () => {
    const result = await login(async (event, api) => {
      api.idToken.setCustomClaim('https://example.test/plan', 'gold');
      api.idToken.setCustomClaim('roles', ['admin']);
      api.accessToken.addScope('read:reports');
      console.log('a'.repeat(200));
      console.log('b'.repeat(100));
    });
    const text = runText([result], SECRETS);
    assert.match(text, /^ok in \d+\.\d ms\n/);
    assert.match(text, / 1\. api\.idToken\.setCustomClaim\("https:\/\/example\.test\/plan", "gold"\)/);
    assert.match(text, / 3\. api\.accessToken\.addScope\("read:reports"\)/);
    assert.match(text, /id token claims:\n {2}https:\/\/example\.test\/plan = "gold"\n {2}dropped silently by Auth0: roles/);
    assert.match(text, /access token claims: none/);
    assert.match(text, /scopes added: read:reports/);
    const total = 302;
    assert.match(text, new RegExp(`logs \\(${total} characters; Auth0 keeps the first ${LIMITS.keptLogChars}, ${total - LIMITS.keptLogChars} are cut\\):`));
    assert.ok(text.includes(`  kept | ${'a'.repeat(200)}\n  kept | ${'b'.repeat(55)}\n  cut  | ${'b'.repeat(45)}\n`));
  });

  test('several logins: one JSON object, the last login on top and all of them under logins', async () => {
    const cache = new Map();
    const first = await login(async (event, api) => { api.cache.set('k', 'v'); }, { cache });
    const second = await login(async (event, api) => { api.accessToken.setCustomClaim('https://example.test/n', api.cache.get('k').value); }, { cache });
    const json = runJson([first, second], SECRETS);
    assert.equal(json.logins.length, 2);
    assert.deepEqual(json.calls.map((call) => call.api), ['cache.get', 'accessToken.setCustomClaim']);
    assert.deepEqual(json.logins[0].calls.map((call) => call.api), ['cache.set']);
    assert.match(runText([first, second], SECRETS), /^login 1 of 2: ok[^]*\n\nlogin 2 of 2: ok/);
  });
});
