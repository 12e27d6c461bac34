'use strict';
/**
 * The compiled examples/hello-claim, the smallest useful Action and the floor of artifact size:
 * https://example.com/hello = "world" on both tokens, whatever the event holds, since it never
 * reads the event. POSTLOGIN_HELLO_ARTIFACT names the artifact.
 */

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { createApi, runLogin } = require('../emulator');
const { makeEvent } = require('../lib/fixtures');
const { loadExampleArtifact } = require('../lib/example-artifact');

const { action, skip } = loadExampleArtifact('POSTLOGIN_HELLO_ARTIFACT', 'hello-claim');
const CLAIM = 'https://example.com/hello';
const TIMEOUT_MS = 5000;

describe('hello-claim (compiled)', { skip }, () => {
  test('says hello on both tokens, and does nothing else', async () => {
    const result = await runLogin(action, makeEvent(), { timeoutMs: TIMEOUT_MS });
    assert.equal(result.outcome, 'ok', result.reason);
    assert.deepEqual(result.calls.map(({ api, args }) => ({ api, args })), [
      { api: 'accessToken.setCustomClaim', args: [CLAIM, 'world'] },
      { api: 'idToken.setCustomClaim', args: [CLAIM, 'world'] },
    ]);
  });

  test('never reads the event: a malformed one changes nothing', async () => {
    const result = await runLogin(action, { user: 42, stats: 'many' }, { timeoutMs: TIMEOUT_MS });
    assert.equal(result.outcome, 'ok', result.reason);
    assert.deepEqual(result.claims.idToken, { [CLAIM]: 'world' });
  });

  test("Auth0's own APIs drop bare claim names, not namespaced ones: the claim stays", async () => {
    const event = { ...makeEvent(), resource_server: { identifier: 'https://tenant.auth0.com/api/v2/' } };
    const emulated = createApi({ audience: 'https://tenant.auth0.com/api/v2/' });
    const result = await runLogin(action, event, { api: emulated, timeoutMs: TIMEOUT_MS });
    assert.equal(result.outcome, 'ok', result.reason);
    assert.deepEqual(result.claims.accessToken, { [CLAIM]: 'world' });
  });
});
