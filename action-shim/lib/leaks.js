'use strict';
/**
 * The secret-hygiene check every login in the node suites goes through. A deny reason may NAME a
 * secret but never carry a secret's value; api.cache is storage (where the token is meant to be
 * kept, AUTH0.md §6), not output, so only its arguments may hold the token.
 */

const assert = require('node:assert/strict');

/**
 * No secret value (the client secret above all) and no issued access token in the reason; no
 * client secret and no access token in any non-cache api call's arguments or in captured output.
 */
function assertNoLeaks(result, secrets, accessTokens) {
  const tokens = accessTokens.filter((token) => typeof token === 'string' && token.length > 0);
  if (result.reason !== undefined) {
    const reason = String(result.reason);
    // Whitespace-only values are in every sentence: they cannot be told apart from a leak.
    const values = [...Object.entries(secrets), ...tokens.map((token) => ['issued access token', token])];
    for (const [label, value] of values) {
      if (typeof value === 'string' && value.trim().length >= 4) {
        assert.ok(!reason.includes(value), `the ${label} value leaked into the deny reason: ${JSON.stringify(reason)}`);
      }
    }
  }
  const sensitive = [['client_secret', secrets.client_secret], ...tokens.map((token) => ['issued access token', token])]
    .filter(([, value]) => typeof value === 'string' && value.trim().length >= 4);
  const outputCalls = result.calls.filter((call) => !call.api.startsWith('cache.'));
  const places = [
    ['recorded api call arguments', JSON.stringify(outputCalls.map((call) => call.args))],
    ['console / stdout / stderr output', result.logs.text],
  ];
  for (const [place, text] of places) {
    for (const [label, value] of sensitive) {
      assert.ok(!text.includes(value), `the ${label} leaked into the ${place}`);
    }
  }
}

module.exports = { assertNoLeaks };
