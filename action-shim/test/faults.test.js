'use strict';
/**
 * What the shim promises when the Action misbehaves, proved with the test-only Action
 * examples/fault-injection (POSTLOGIN_FAULT_ARTIFACT; skipped when unset):
 *   - a Rust panic, before or after an await, denies THAT login cleanly, and the next login
 *     runs on a fresh instance and succeeds;
 *   - an Action that never settles is cut off at its budget (1000 ms for this Action);
 *   - the host process never sees an uncaught exception or an unhandled rejection.
 */

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { runLogin } = require('../emulator');

const ARTIFACT = process.env.POSTLOGIN_FAULT_ARTIFACT && path.resolve(process.env.POSTLOGIN_FAULT_ARTIFACT);
const skip = ARTIFACT ? false : 'set POSTLOGIN_FAULT_ARTIFACT to the built examples/fault-injection';
const BUDGET_MS = 1000; // [package.metadata.postlogin] budget_ms of examples/fault-injection
const TRAPPED = 'fault-injection: internal error (the Action trapped)';

const escaped = [];
const onUncaught = (error) => escaped.push(`uncaught: ${error && error.message}`);
const onUnhandled = (reason) => escaped.push(`unhandled rejection: ${reason && reason.message}`);

function login(action, fault, secrets = {}) {
  const metadata = fault ? { fault } : {};
  const event = { user: { user_id: 'auth0|1', app_metadata: metadata } };
  return runLogin(action, event, { secrets, captureOutput: false, timeoutMs: 5000 });
}

/** Lets every callback the wasm left behind run, then checks none escaped to the process. */
async function assertNothingEscaped() {
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(escaped, []);
}

function assertOk(result) {
  assert.equal(result.outcome, 'ok', `reason: ${result.reason}`);
  assert.deepEqual(result.claims.accessToken, { 'https://example.com/fault': 'none' });
}

describe('an Action that panics or hangs', { skip }, () => {
  let action;
  let probe;
  let probeUrl;
  let instances = 0;
  const { Instance } = WebAssembly;

  before(async () => {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandled);
    WebAssembly.Instance = function (...args) {
      instances++;
      return new Instance(...args);
    };
    probe = http.createServer((request, response) => response.writeHead(204).end());
    await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
    probeUrl = `http://127.0.0.1:${probe.address().port}/probe`;
    action = require(ARTIFACT);
  });

  after(async () => {
    WebAssembly.Instance = Instance;
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandled);
    probe.closeAllConnections?.();
    await new Promise((resolve) => probe.close(resolve));
  });

  test('a panic before any await denies that login, and the next one runs on a fresh instance', async () => {
    assertOk(await login(action));
    const before = instances;
    const started = performance.now();
    const panicked = await login(action, 'panic');
    assert.ok(performance.now() - started < 500, 'a trap is reported at once, not at the budget');
    assert.equal(panicked.outcome, 'denied');
    assert.equal(panicked.reason, TRAPPED);
    assert.deepEqual(panicked.calls.map((call) => call.api), ['access.deny']);
    assertOk(await login(action));
    assert.equal(instances, before + 1);
    await assertNothingEscaped();
  });

  test('a panic after an await (inside a callback wasm-bindgen scheduled) is caught the same way', async () => {
    const before = instances;
    const started = performance.now();
    const panicked = await login(action, 'panic-after-await', { probe_url: probeUrl });
    assert.ok(performance.now() - started < 500, 'a trap is reported at once, not at the budget');
    assert.equal(panicked.reason, TRAPPED);
    assertOk(await login(action));
    assert.equal(instances, before + 1);
    await assertNothingEscaped();
  });

  test('an Action that never settles is cut off at its budget, and the next login succeeds', async () => {
    const started = performance.now();
    const hung = await login(action, 'hang');
    const elapsed = performance.now() - started;
    assert.equal(hung.outcome, 'denied');
    assert.equal(hung.reason, `fault-injection: did not finish within ${BUDGET_MS} ms`);
    assert.ok(elapsed >= BUDGET_MS - 5 && elapsed <= BUDGET_MS + 100, `settled after ${elapsed} ms`);
    assertOk(await login(action));
    await assertNothingEscaped();
  });

  test('thirty logins mixing panics and successes each get the right outcome', async () => {
    const faults = [undefined, 'panic', undefined, 'panic-after-await', undefined, undefined];
    for (let i = 0; i < 30; i++) {
      const fault = faults[i % faults.length];
      const result = await login(action, fault, { probe_url: probeUrl });
      if (fault) assert.equal(result.reason, TRAPPED, `login ${i}`);
      else assertOk(result);
    }
    await assertNothingEscaped();
  });

  test('logins in flight together all fail when the instance traps, and none hangs', async () => {
    assertOk(await login(action));
    const results = await Promise.all([
      login(action, 'panic-after-await', { probe_url: probeUrl }),
      login(action, 'panic-after-await', { probe_url: probeUrl }),
    ]);
    for (const result of results) assert.equal(result.reason, TRAPPED);
    assertOk(await login(action));
    await assertNothingEscaped();
  });
});
