'use strict';
/**
 * What the shim promises when the Action misbehaves, proved with the test-only Action
 * examples/fault-injection (POSTLOGIN_FAULT_ARTIFACT; skipped when unset):
 *   - a Rust panic, before or after an await, fails THAT login cleanly, and the next login
 *     runs on a fresh instance and succeeds;
 *   - an Action that never settles is cut off at its budget (1000 ms for this Action), and so
 *     is one waiting on a request it allowed longer than that;
 *   - the host process never sees an uncaught exception or an unhandled rejection;
 *   - its policy is on_error = "continue": a failure is one log line, no deny, no commands;
 *   - the answer to a request the Action stopped waiting for is not kept in the wasm.
 */

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { runLogin } = require('../emulator');

const ARTIFACT = process.env.POSTLOGIN_FAULT_ARTIFACT && path.resolve(process.env.POSTLOGIN_FAULT_ARTIFACT);
const skip = ARTIFACT ? false : 'set POSTLOGIN_FAULT_ARTIFACT to the built examples/fault-injection';
const BUDGET_MS = 1000; // [package.metadata.postlogin] budget_ms of examples/fault-injection
const CONTINUES = '(login continues without this Action)';
const TRAPPED = `fault-injection: internal error (the Action trapped) ${CONTINUES}`;

const escaped = [];
const onUncaught = (error) => escaped.push(`uncaught: ${error && error.message}`);
const onUnhandled = (reason) => escaped.push(`unhandled rejection: ${reason && reason.message}`);

function login(action, fault, secrets = {}) {
  const metadata = fault ? { fault } : {};
  const event = { user: { user_id: 'auth0|1', app_metadata: metadata } };
  return runLogin(action, event, { secrets, timeoutMs: 5000 });
}

/** Under on_error = "continue", a failed login proceeds with nothing applied and one log line. */
function assertContinued(result, logLine) {
  assert.equal(result.outcome, 'ok', `reason: ${result.reason}`);
  assert.deepEqual(result.calls, []);
  assert.equal(result.logs.text.trim(), logLine);
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
  let latest; // the newest instance: the Action's (the basE91 decoder's comes first, once)
  const { Instance } = WebAssembly;

  before(async () => {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandled);
    WebAssembly.Instance = function (...args) {
      instances++;
      latest = new Instance(...args);
      return latest;
    };
    // `/hang` never answers: the connection stays open until the suite closes it. The race's
    // loser answers 60 kB after 10 ms, while the Action waits on `/slower` (25 ms).
    probe = http.createServer((request, response) => {
      if (request.url === '/hang') return;
      if (request.url === '/probe/slow') {
        setTimeout(() => response.writeHead(200).end('x'.repeat(60000)), 10);
      } else if (request.url === '/probe/slower') {
        setTimeout(() => response.writeHead(204).end(), 25);
      } else if (request.url === '/probe/headers') {
        // The headers as they came on the wire, the ones the test sends only.
        const sent = [];
        for (let i = 0; i < request.rawHeaders.length; i += 2) {
          if (['x-twice', 'constructor'].includes(request.rawHeaders[i].toLowerCase())) sent.push(request.rawHeaders.slice(i, i + 2));
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(sent));
      } else {
        response.writeHead(204).end();
      }
    });
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
    assertContinued(panicked, TRAPPED);
    assertOk(await login(action));
    assert.equal(instances, before + 1);
    await assertNothingEscaped();
  });

  test('a panic after an await (inside a callback wasm-bindgen scheduled) is caught the same way', async () => {
    const before = instances;
    const started = performance.now();
    const panicked = await login(action, 'panic-after-await', { probe_url: probeUrl });
    assert.ok(performance.now() - started < 500, 'a trap is reported at once, not at the budget');
    assertContinued(panicked, TRAPPED);
    assertOk(await login(action));
    assert.equal(instances, before + 1);
    await assertNothingEscaped();
  });

  test('request headers reach the server as fetch sends them: a name given twice once, with both values', async () => {
    // `constructor`: a name every object inherits, which must not pass for one given before.
    const result = await login(action, 'odd-headers', { probe_url: probeUrl });
    assert.equal(result.outcome, 'ok', `reason: ${result.reason}`);
    assert.deepEqual(result.claims.accessToken['https://example.com/fault'], [['x-twice', '1, 2'], ['constructor', 'c']]);
  });

  test('the answer to a request the Action stopped waiting for is not kept', async () => {
    // Each login races two requests and keeps the first answer; the other (60 kB) comes in
    // while it waits on a third. Kept, 60 of them would grow the wasm's memory by 3.6 MB.
    assertOk(await login(action, 'race', { probe_url: probeUrl }));
    const memory = latest.exports.memory;
    const before = memory.buffer.byteLength;
    for (let i = 0; i < 60; i++) assertOk(await login(action, 'race', { probe_url: probeUrl }));
    const grown = memory.buffer.byteLength - before;
    assert.ok(grown <= 256 * 1024, `the wasm's memory grew by ${grown} bytes`);
    await assertNothingEscaped();
  });

  test('an Action that never settles is cut off at its budget, and the next login succeeds', async () => {
    const started = performance.now();
    const hung = await login(action, 'hang');
    const elapsed = performance.now() - started;
    assertContinued(hung, `fault-injection: did not finish within ${BUDGET_MS} ms ${CONTINUES}`);
    assert.ok(elapsed >= BUDGET_MS - 5 && elapsed <= BUDGET_MS + 100, `settled after ${elapsed} ms`);
    assertOk(await login(action));
    await assertNothingEscaped();
  });

  test('a request allowed longer than the budget is cut off at the budget, and the next login succeeds', async () => {
    const started = performance.now();
    const slow = await login(action, 'slow-probe', { probe_url: probeUrl.replace('/probe', '/hang') });
    const elapsed = performance.now() - started;
    assertContinued(slow, `fault-injection: did not finish within ${BUDGET_MS} ms ${CONTINUES}`);
    assert.ok(elapsed >= BUDGET_MS - 5 && elapsed <= BUDGET_MS + 100, `settled after ${elapsed} ms`);
    assertOk(await login(action));
    await assertNothingEscaped();
  });

  test('logins that never settle, started apart, are each cut off at their own budget', async () => {
    // Output capture follows one login at a time: these run without it.
    const timed = (fault) => {
      const started = performance.now();
      const event = { user: { user_id: 'auth0|1', app_metadata: fault ? { fault } : {} } };
      return runLogin(action, event, { secrets: {}, timeoutMs: 5000, captureOutput: false }).then((result) => ({ result, ms: performance.now() - started }));
    };
    const first = timed('hang');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = timed('hang');
    assertOk((await timed()).result); // one that finishes at once, in between
    for (const { result, ms } of await Promise.all([first, second])) {
      assert.equal(result.outcome, 'ok');
      assert.deepEqual(result.calls, []);
      assert.ok(ms >= BUDGET_MS - 5 && ms <= BUDGET_MS + 100, `settled after ${ms} ms`);
    }
    assertOk(await login(action));
    await assertNothingEscaped();
  });

  test('an error the Action returns is one log line under on_error = "continue"', async () => {
    assertContinued(await login(action, 'fire'), `fault-injection: unknown fault fire ${CONTINUES}`);
    await assertNothingEscaped();
  });

  test('claims Auth0 would drop or choke on are errors in the compiled Action too', async () => {
    assertContinued(
      await login(action, 'reserved-claim'),
      'fault-injection: claim `roles` is reserved and Auth0 would drop it silently; use a namespaced ' +
        `name such as https://example.com/claim ${CONTINUES}`,
    );
    assertContinued(
      await login(action, 'huge-claim'),
      'fault-injection: custom claims on the ID token would be 120046 bytes, over Auth0\'s limit of ' +
        `100000: the login would fail ${CONTINUES}`,
    );
    await assertNothingEscaped();
  });

  test('thirty logins mixing panics and successes each get the right outcome', async () => {
    const faults = [undefined, 'panic', undefined, 'panic-after-await', undefined, undefined];
    for (let i = 0; i < 30; i++) {
      const fault = faults[i % faults.length];
      const result = await login(action, fault, { probe_url: probeUrl });
      if (fault) assertContinued(result, TRAPPED);
      else assertOk(result);
    }
    await assertNothingEscaped();
  });

  test('logins in flight together all fail when the instance traps, and none hangs', async () => {
    assertOk(await login(action));
    const concurrent = (fault) => {
      const event = { user: { user_id: 'auth0|1', app_metadata: { fault } } };
      const secrets = { probe_url: probeUrl };
      return runLogin(action, event, { secrets, timeoutMs: 5000, captureOutput: false });
    };
    const started = performance.now();
    const results = await Promise.all([concurrent('panic-after-await'), concurrent('panic-after-await')]);
    assert.ok(performance.now() - started < 500, 'both are failed at the trap, not at the budget');
    for (const result of results) {
      assert.equal(result.outcome, 'ok');
      assert.deepEqual(result.calls, []);
    }
    assertOk(await login(action));
    await assertNothingEscaped();
  });
});
