'use strict';
/**
 * The compiled examples/deny-unverified under the runtime emulator: applications whose client
 * metadata has require_verified_email = "true" deny unverified or missing emails with a reason
 * the user can act on; other applications are left alone. POSTLOGIN_DENY_UNVERIFIED_ARTIFACT
 * names the artifact.
 */

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { runLogin } = require('../emulator');
const { makeEvent } = require('../lib/fixtures');
const { loadExampleArtifact } = require('../lib/example-artifact');

const { action, skip } = loadExampleArtifact('POSTLOGIN_DENY_UNVERIFIED_ARTIFACT', 'deny-unverified');
const REASON = 'Please verify your email address, then log in again.';
const TIMEOUT_MS = 5000;

function login(clientMetadata, user) {
  const event = makeEvent(user);
  event.client = { ...event.client, metadata: clientMetadata };
  return runLogin(action, event, { timeoutMs: TIMEOUT_MS });
}

describe('deny-unverified (compiled)', { skip }, () => {
  const requiring = { require_verified_email: 'true' };

  test('a verified email passes with no api call', async () => {
    const result = await login(requiring, { email: 'a@example.com', email_verified: true });
    assert.equal(result.outcome, 'ok', result.reason);
    assert.deepEqual(result.calls, []);
  });

  test('an email of megabytes, whose reading grows the wasm memory, is read whole', async () => {
    // Each read needs a block larger than any before it: the memory grows while the shim
    // writes the member in, which detaches its views of the memory mid-call.
    for (const megabytes of [4, 9]) {
      const email = `${'a'.repeat(megabytes * 1024 * 1024)}@example.com`;
      const result = await login(requiring, { email, email_verified: true });
      assert.equal(result.outcome, 'ok', result.reason);
      assert.deepEqual(result.calls, []);
    }
  });

  test('unverified or missing emails are denied where the application requires it', async () => {
    for (const user of [
      { email_verified: false },
      { email_verified: undefined },
      { email: undefined, email_verified: undefined, phone_number: '+33600000000' },
    ]) {
      const result = await login(requiring, user);
      assert.equal(result.outcome, 'denied', JSON.stringify(user));
      assert.equal(result.deniedBy, 'api');
      assert.equal(result.reason, REASON);
      assert.deepEqual(result.calls.map(({ api }) => api), ['access.deny']);
    }
  });

  test('other applications are left alone', async () => {
    for (const metadata of [{}, { require_verified_email: 'false' }, { other: 'true' }]) {
      const result = await login(metadata, { email_verified: false });
      assert.equal(result.outcome, 'ok', JSON.stringify(metadata));
      assert.deepEqual(result.calls, []);
    }
  });
});
