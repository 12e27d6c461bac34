'use strict';
// Unit tests of the emulator's Auth0 semantics (AUTH0.md §1, §2, §4, §5).

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { createApi, runLogin, LIMITS } = require('../emulator');
const { startBackendServer } = require('../lib/servers');

const MINUTE_MS = 60 * 1000;
const HOUR_MS = 60 * MINUTE_MS;

/** A clock the test moves by hand (mock.timers needs Node >= 20.4). */
function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms) => { now += ms; } };
}

const action = (onExecutePostLogin) => ({ onExecutePostLogin });

describe('custom claims', () => {
  for (const token of ['accessToken', 'idToken']) {
    test(`${token}.setCustomClaim("scope") throws, is recorded, and sets nothing`, () => {
      const { api, calls, state } = createApi();
      assert.throws(() => api[token].setCustomClaim('scope', 'admin'), /scope/);
      assert.deepEqual(calls.map(({ api: name, args }) => ({ api: name, args })), [{ api: `${token}.setCustomClaim`, args: ['scope', 'admin'] }]);
      assert.match(calls[0].error, /scope/);
      assert.deepEqual(state[token].claims, {});
    });
  }

  test('restricted names and reserved namespaces are dropped silently but recorded', () => {
    const { api, calls, state } = createApi();
    const dropped = ['sub', 'permissions', 'roles', 'x5t#S256', 'https://tenant.auth0.com/roles', 'https://webtask.io/x', 'urn:auth0:thing'];
    for (const name of dropped) api.idToken.setCustomClaim(name, 'v');
    api.idToken.setCustomClaim('http://test.org/extra_info', { a: 1 });
    assert.equal(calls.length, dropped.length + 1);
    assert.deepEqual(state.idToken.droppedClaims, dropped);
    assert.deepEqual(state.idToken.claims, { 'http://test.org/extra_info': { a: 1 } });
  });

  test('non-namespaced access-token claims are dropped only for an Auth0 API audience', () => {
    const managementApi = createApi({ audience: 'https://tenant.example.test/api/v2/' });
    managementApi.api.accessToken.setCustomClaim('plan', 'gold');
    managementApi.api.accessToken.setCustomClaim('https://example.test/plan', 'gold');
    managementApi.api.idToken.setCustomClaim('plan', 'gold');
    assert.deepEqual(managementApi.state.accessToken.claims, { 'https://example.test/plan': 'gold' });
    assert.deepEqual(managementApi.state.idToken.claims, { plan: 'gold' });

    const customApi = createApi({ audience: 'https://backend.example.test' });
    customApi.api.accessToken.setCustomClaim('plan', 'gold');
    assert.deepEqual(customApi.state.accessToken.claims, { plan: 'gold' });
  });

  test('api methods return the api object and work detached from it', () => {
    const { api, state } = createApi();
    assert.equal(api.accessToken.setCustomClaim('a', 1), api);
    const { setCustomClaim } = api.idToken;
    setCustomClaim('b', [2]);
    assert.deepEqual(state.accessToken.claims, { a: 1 });
    assert.deepEqual(state.idToken.claims, { b: [2] });
  });
});

describe('scopes', () => {
  const invalid = [
    ['empty', ''],
    ['only a space', ' '],
    ['containing a space', 'read users'],
    ['containing a tab', 'read\tusers'],
    ['281 characters', 'x'.repeat(LIMITS.scopeMaxChars + 1)],
    ['not a string', 42],
  ];
  for (const method of ['addScope', 'removeScope']) {
    for (const [label, scope] of invalid) {
      test(`accessToken.${method} throws on a scope ${label}`, () => {
        const { api, calls } = createApi();
        assert.throws(() => api.accessToken[method](scope));
        assert.equal(calls.length, 1, 'the failed call is recorded');
        assert.ok(calls[0].error);
      });
    }
    test(`accessToken.${method} accepts a normal scope and one of exactly 280 characters`, () => {
      const { api, state } = createApi();
      api.accessToken[method]('read:users');
      api.accessToken[method]('x'.repeat(LIMITS.scopeMaxChars));
      const recorded = method === 'addScope' ? state.accessToken.scopesAdded : state.accessToken.scopesRemoved;
      assert.deepEqual(recorded, ['read:users', 'x'.repeat(LIMITS.scopeMaxChars)]);
    });
  }
});

describe('access.deny and user metadata', () => {
  test('deny is recorded and the first reason is the one that counts', () => {
    const { api, calls, state } = createApi();
    assert.equal(api.access.deny('first'), api);
    api.access.deny('second');
    assert.deepEqual(state.denied, { reason: 'first' });
    assert.deepEqual(calls.map((call) => call.args), [['first'], ['second']]);
  });

  test('setAppMetadata / setUserMetadata record pending updates; null removes a key', () => {
    const { api, calls, state } = createApi();
    api.user.setAppMetadata('plan', 'gold');
    api.user.setAppMetadata('legacy', null);
    api.user.setUserMetadata('theme', { dark: true });
    assert.deepEqual(state.appMetadata, { plan: 'gold', legacy: null });
    assert.deepEqual(state.userMetadata, { theme: { dark: true } });
    assert.deepEqual(calls.map((call) => call.api), ['user.setAppMetadata', 'user.setAppMetadata', 'user.setUserMetadata']);
  });
});

describe('api.cache (production record shape and limits)', () => {
  test('set returns { type: "success", record }; get returns the record { value, expires_at }, not a bare string', () => {
    const clock = manualClock();
    const { api, calls } = createApi({ now: clock.now });
    const written = api.cache.set('token', 'abc');
    const expiresAt = clock.now() + LIMITS.cacheDefaultTtlMs; // default TTL: 15 min
    assert.deepEqual(written, { type: 'success', record: { value: 'abc', expires_at: expiresAt } });
    assert.deepEqual(api.cache.get('token'), { value: 'abc', expires_at: expiresAt });
    assert.equal(api.cache.get('missing'), undefined);
    assert.deepEqual(calls.map((call) => call.api), ['cache.set', 'cache.get', 'cache.get']);
  });

  test('records expire after their ttl or at expires_at', () => {
    const clock = manualClock();
    const { api } = createApi({ now: clock.now });
    api.cache.set('short', 'v', { ttl: 1000 });
    api.cache.set('until', 'v', { expires_at: clock.now() + 5000 });
    clock.advance(999);
    assert.equal(api.cache.get('short').value, 'v');
    clock.advance(1);
    assert.equal(api.cache.get('short'), undefined);
    assert.equal(api.cache.get('until').expires_at, clock.now() + 4000);
    clock.advance(4000);
    assert.equal(api.cache.get('until'), undefined);
  });

  test('an impossible lifetime is { type: "error", code: "InvalidExpiry" }, not a throw', () => {
    const clock = manualClock();
    const { api } = createApi({ now: clock.now });
    assert.equal(api.cache.set('k', 'v', { ttl: 24 * HOUR_MS }).type, 'success', '24 h is the maximum, allowed');
    for (const options of [{ ttl: 24 * HOUR_MS + 1 }, { ttl: 0 }, { ttl: -5 }, { ttl: 'soon' }, { expires_at: clock.now() - 1 }, { expires_at: clock.now() + 25 * HOUR_MS }]) {
      assert.deepEqual(api.cache.set('k', 'v', options), { type: 'error', code: 'InvalidExpiry' }, JSON.stringify(options));
    }
  });

  test('keys over 64 bytes (UTF-8) are CacheKeySizeExceeded', () => {
    const { api } = createApi();
    assert.equal(api.cache.set('ü'.repeat(32), 'v').type, 'success', '64 bytes is allowed');
    assert.deepEqual(api.cache.set('ü'.repeat(32) + 'x', 'v'), { type: 'error', code: 'CacheKeySizeExceeded' });
  });

  test('values over 4 kB are CacheValueSizeExceeded; non-strings are refused without a throw', () => {
    const { api } = createApi();
    assert.equal(api.cache.set('k', 'x'.repeat(LIMITS.cacheMaxValueBytes)).type, 'success');
    assert.deepEqual(api.cache.set('k', 'x'.repeat(LIMITS.cacheMaxValueBytes + 1)), { type: 'error', code: 'CacheValueSizeExceeded' });
    assert.equal(api.cache.set('k', { not: 'a string' }).type, 'error');
    assert.equal(api.cache.get('k').value.length, LIMITS.cacheMaxValueBytes, 'failed writes leave the record alone');
  });

  test('a 21st entry is CacheSizeExceeded, overwriting an existing key is not', () => {
    const { api } = createApi();
    for (let i = 0; i < LIMITS.cacheMaxEntries; i += 1) assert.equal(api.cache.set(`k${i}`, 'v').type, 'success');
    assert.deepEqual(api.cache.set('one-more', 'v'), { type: 'error', code: 'CacheSizeExceeded' });
    assert.equal(api.cache.set('k0', 'new').type, 'success');
  });

  test('keys + values over 8 kB in total are CacheSizeExceeded', () => {
    const { api } = createApi();
    assert.equal(api.cache.set('a', 'x'.repeat(4000)).type, 'success');
    assert.equal(api.cache.set('b', 'x'.repeat(4000)).type, 'success');
    assert.deepEqual(api.cache.set('c', 'x'.repeat(200)), { type: 'error', code: 'CacheSizeExceeded' });
    assert.equal(api.cache.delete('a').type, 'success');
    assert.equal(api.cache.set('c', 'x'.repeat(200)).type, 'success', 'room again after a delete');
  });

  test('delete returns success and removes the record', () => {
    const { api } = createApi();
    api.cache.set('k', 'v');
    assert.equal(api.cache.delete('k').type, 'success');
    assert.equal(api.cache.get('k'), undefined);
    assert.equal(api.cache.delete('never-set').type, 'success');
  });

  test('one cache Map can be shared between logins (warm instance); each createApi gets a fresh one by default', () => {
    const warm = new Map();
    createApi({ cache: warm }).api.cache.set('token', 'abc');
    assert.equal(createApi({ cache: warm }).api.cache.get('token').value, 'abc');
    assert.equal(createApi().api.cache.get('token'), undefined);
  });
});

describe('runLogin', () => {
  test('sets event.secrets and never mutates the caller\'s event', async () => {
    const event = { user: { user_id: 'u1' } };
    let seen;
    const result = await runLogin(action(async (e) => { seen = e; e.user.user_id = 'changed'; }), event, { secrets: { api_key: 'k' } });
    assert.equal(result.outcome, 'ok');
    assert.deepEqual(seen.secrets, { api_key: 'k' });
    assert.deepEqual(event, { user: { user_id: 'u1' } });
  });

  test('a login that only sets claims is ok, with calls and claims reported', async () => {
    const result = await runLogin(action(async (e, api) => { api.accessToken.setCustomClaim('c', 1); api.idToken.setCustomClaim('c', 2); }), {});
    assert.equal(result.outcome, 'ok');
    assert.equal(result.reason, undefined);
    assert.deepEqual(result.calls.map((call) => call.api), ['accessToken.setCustomClaim', 'idToken.setCustomClaim']);
    assert.deepEqual(result.claims, { accessToken: { c: 1 }, idToken: { c: 2 } });
    assert.equal(typeof result.ms, 'number');
  });

  test('api.access.deny → denied by the api, the Action did not throw', async () => {
    const result = await runLogin(action(async (e, api) => { api.access.deny('no entry'); }), {});
    assert.equal(result.outcome, 'denied');
    assert.equal(result.reason, 'no entry');
    assert.equal(result.deniedBy, 'api');
    assert.equal(result.threw, false);
  });

  const throwers = [
    ['an async throw', async () => { throw new Error('async boom'); }, 'async boom'],
    ['a rejected promise', () => Promise.reject(new Error('rejected boom')), 'rejected boom'],
    ['a synchronous throw', () => { throw new Error('sync boom'); }, 'sync boom'],
    ['a thrown non-Error', async () => { throw 'plain string'; }, 'plain string'], // eslint-disable-line no-throw-literal
  ];
  for (const [label, handler, message] of throwers) {
    test(`${label} → denied with its message, like Auth0's access_denied`, async () => {
      const result = await runLogin(action(handler), {});
      assert.equal(result.outcome, 'denied');
      assert.equal(result.reason, message);
      assert.equal(result.deniedBy, 'throw');
      assert.equal(result.threw, true);
    });
  }

  test('deny followed by a throw keeps the deny reason and reports the throw', async () => {
    const result = await runLogin(action(async (e, api) => { api.access.deny('denied first'); throw new Error('then thrown'); }), {});
    assert.equal(result.outcome, 'denied');
    assert.equal(result.reason, 'denied first');
    assert.equal(result.threw, true);
  });

  test('a module without onExecutePostLogin → error', async () => {
    const result = await runLogin({ onContinuePostLogin() {} }, {});
    assert.equal(result.outcome, 'error');
    assert.match(result.reason, /onExecutePostLogin/);
  });

  test('an Action past its time budget → error (the budget timer is cleared afterwards)', async () => {
    let release;
    const hanging = new Promise((resolve) => { release = resolve; });
    const result = await runLogin(action(() => hanging), {}, { timeoutMs: 50 });
    release();
    assert.equal(result.outcome, 'error');
    assert.match(result.reason, /50 ms/);
    assert.ok(result.ms >= 45 && result.ms < 1000, `took ${result.ms} ms`);
  });

  test('an Action stuck on a hanging backend ends at the budget, and the server still closes', { timeout: 3000 }, async () => {
    const backend = await startBackendServer({ reply: { hang: true } });
    try {
      const result = await runLogin(action(async () => { await fetch(`${backend.url}/api/users/x`); }), {}, { timeoutMs: 200 });
      assert.equal(result.outcome, 'error');
      assert.equal(backend.requests.length, 1);
    } finally {
      await backend.close();
    }
  });

  test('more than 100 KB of custom claims on a token → error', async () => {
    const big = 'x'.repeat(LIMITS.customClaimsMaxBytes);
    const result = await runLogin(action(async (e, api) => { api.idToken.setCustomClaim('https://example.test/big', big); }), {});
    assert.equal(result.outcome, 'error');
    assert.match(result.reason, /idToken/);
  });

  test('console and process.stdout/stderr output is captured, then console is restored', async () => {
    const originalLog = console.log;
    const result = await runLogin(action(async () => {
      console.log('hello %s', 'world');
      console.error('bad', { n: 1 });
      await new Promise((resolve) => setTimeout(resolve, 5)); // still the Action's output after an await
      process.stderr.write('raw-stderr\n');
      console.log('y'.repeat(300));
    }), {});
    assert.equal(console.log, originalLog);
    assert.ok(result.logs.text.includes('hello world\n'));
    assert.ok(result.logs.text.includes("bad { n: 1 }\n"));
    assert.ok(result.logs.text.includes('raw-stderr\n'));
    assert.deepEqual(result.logs.entries.slice(0, 2).map((entry) => entry.stream), ['stdout', 'stderr']);
    assert.equal(result.logs.kept.length, LIMITS.keptLogChars, 'Auth0 keeps 256 characters');
  });

  test('output from outside the Action during a login (e.g. the test reporter) passes through, uncaptured', async () => {
    // A spy under the capture stands in for the real stdout, so nothing reaches the test output.
    const seenByRealStdout = [];
    const realWrite = process.stdout.write;
    process.stdout.write = function spy(chunk, ...rest) {
      if (String(chunk).includes('outside-the-action')) { seenByRealStdout.push(String(chunk)); return true; }
      return realWrite.call(this, chunk, ...rest);
    };
    try {
      const outsideWrite = setTimeout(() => process.stdout.write('outside-the-action\n'), 5); // armed outside the Action
      const result = await runLogin(action(async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        process.stdout.write('inside\n');
      }), {});
      clearTimeout(outsideWrite);
      assert.equal(result.logs.text, 'inside\n');
      assert.deepEqual(seenByRealStdout, ['outside-the-action\n']);
    } finally {
      process.stdout.write = realWrite;
    }
  });

  test('a leaky Action is visible in reason, calls and logs (what the contract suite relies on)', async () => {
    const secret = 'CS-very-secret-selftest';
    const result = await runLogin(action(async (event, api) => {
      console.log('using', event.secrets.client_secret);
      api.idToken.setCustomClaim('https://example.test/debug', { s: event.secrets.client_secret });
      api.access.deny(`failed with ${event.secrets.client_secret}`);
    }), {}, { secrets: { client_secret: secret } });
    assert.ok(result.logs.text.includes(secret));
    assert.ok(JSON.stringify(result.calls.map((call) => call.args)).includes(secret));
    assert.ok(result.reason.includes(secret));
  });

  test('rejects the inner api object in place of a createApi() result, and non-string secrets', async () => {
    await assert.rejects(runLogin(action(async () => {}), {}, { api: createApi().api }), TypeError);
    await assert.rejects(runLogin(action(async () => {}), {}, { secrets: { n: 1 } }), TypeError);
  });
});
