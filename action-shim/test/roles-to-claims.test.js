'use strict';
/**
 * The compiled examples/roles-to-claims under the runtime emulator: the user's roles as the
 * namespaced claim https://example.com/roles on both tokens, an empty list without roles, and a
 * malformed role list denied with the field named. POSTLOGIN_ROLES_ARTIFACT names the artifact.
 */

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { runLogin } = require('../emulator');
const { makeEvent } = require('../lib/fixtures');
const { loadExampleArtifact } = require('../lib/example-artifact');

const { action, skip } = loadExampleArtifact('POSTLOGIN_ROLES_ARTIFACT', 'roles-to-claims');
const CLAIM = 'https://example.com/roles';
const TIMEOUT_MS = 5000;

function withRoles(authorization) {
  return { ...makeEvent(), authorization };
}

async function login(event) {
  return runLogin(action, event, { timeoutMs: TIMEOUT_MS });
}

describe('roles-to-claims (compiled)', { skip }, () => {
  test('the roles become the namespaced claim on both tokens, and nothing else happens', async () => {
    const result = await login(withRoles({ roles: ['admin', 'billing'] }));
    assert.equal(result.outcome, 'ok', result.reason);
    assert.deepEqual(result.calls.map(({ api, args }) => ({ api, args })), [
      { api: 'accessToken.setCustomClaim', args: [CLAIM, ['admin', 'billing']] },
      { api: 'idToken.setCustomClaim', args: [CLAIM, ['admin', 'billing']] },
    ]);
    const roles = { [CLAIM]: ['admin', 'billing'] };
    assert.deepEqual(result.claims, { accessToken: roles, idToken: roles });
  });

  test('roles in any script cross into the wasm and back unchanged (text is sized in UTF-8 bytes)', async () => {
    const roles = ['rédacteur', '管理者', '🚀 ops', 'plain'];
    const result = await login(withRoles({ roles }));
    assert.equal(result.outcome, 'ok', result.reason);
    assert.deepEqual(result.claims, { accessToken: { [CLAIM]: roles }, idToken: { [CLAIM]: roles } });
  });

  test('a user without roles gets an empty list, not a missing claim', async () => {
    for (const authorization of [{ roles: [] }, undefined]) {
      const result = await login(withRoles(authorization));
      assert.equal(result.outcome, 'ok', result.reason);
      assert.deepEqual(result.claims, { accessToken: { [CLAIM]: [] }, idToken: { [CLAIM]: [] } });
    }
  });

  test('the namespaced claim survives on access tokens for Auth0\'s own APIs', async () => {
    const event = { ...withRoles({ roles: ['admin'] }), resource_server: { identifier: 'https://tenant.example.test/api/v2/' } };
    const result = await login(event);
    assert.equal(result.outcome, 'ok', result.reason);
    assert.deepEqual(result.claims.accessToken, { [CLAIM]: ['admin'] });
  });

  test('a malformed role list denies the login and names the field', async () => {
    const result = await login(withRoles({ roles: ['admin', 7] }));
    assert.equal(result.outcome, 'denied');
    assert.equal(result.reason, 'roles-to-claims: malformed event: authorization.roles[1]: expected a string, found a number');
    assert.deepEqual(result.claims, { accessToken: {}, idToken: {} });
  });
});
