'use strict';
/**
 * Properties of a COMPILED artifact (POSTLOGIN_ARTIFACT) that the behaviour contract does not
 * see: what it needs at load time, how often it compiles and instantiates its WebAssembly, its
 * header, and the exact deny reasons postlogin produces. Skipped for the hand-written baseline.
 */

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { builtinModules } = require('node:module');
const { createApi, runLogin } = require('../emulator');
const { startServers } = require('../lib/servers');

const ARTIFACT = process.env.POSTLOGIN_ARTIFACT && path.resolve(process.env.POSTLOGIN_ARTIFACT);
const skip = ARTIFACT ? false : 'only for a compiled artifact (set POSTLOGIN_ARTIFACT)';

/**
 * Loads the artifact in a fresh Node process whose fs, net, http(s), fetch and module loader
 * record every use, and prints what was used while loading (not while running a login).
 */
function loadInstrumented(artifact) {
  const probe = `
    const used = [];
    const fs = require('fs'), net = require('net'), http = require('http'), https = require('https');
    for (const [name, mod] of Object.entries({ fs, net, http, https })) {
      for (const key of Object.keys(mod)) {
        if (typeof mod[key] === 'function' && !/^[A-Z]/.test(key)) {
          const original = mod[key];
          mod[key] = function (...args) { used.push(name + '.' + key); return original.apply(this, args); };
        }
      }
    }
    globalThis.fetch = () => { used.push('fetch'); return new Promise(() => {}); };
    const Module = require('module');
    const load = Module._load;
    const required = [];
    Module._load = function (request, ...rest) { required.push(request); return load.call(this, request, ...rest); };
    const action = require(${JSON.stringify(artifact)});
    Module._load = load;
    process.stdout.write(JSON.stringify({ used, required, exports: Object.keys(action) }));
  `;
  return JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }));
}

describe('compiled artifact', { skip }, () => {
  test('loading it needs no file, no network and no module but Node built-ins', () => {
    const loaded = loadInstrumented(ARTIFACT);
    assert.deepEqual(loaded.exports, ['onExecutePostLogin']);
    // The artifact's own require() calls happen lazily, at the first login; none at load time.
    assert.deepEqual(loaded.used.filter((use) => use.startsWith('fs.') && !use.includes('Sync')), []);
    assert.deepEqual(loaded.used.filter((use) => !use.startsWith('fs.')), [], 'no network at load time');
    const source = fs.readFileSync(ARTIFACT, 'utf8');
    const requires = [...source.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    assert.ok(requires.length > 0, 'the artifact requires zlib for its compressed wasm');
    for (const name of requires) {
      assert.ok(builtinModules.includes(name.replace(/^node:/, '')), `${name} is not a Node built-in`);
    }
    assert.doesNotMatch(source, /__dirname|readFileSync|import\.meta/);
  });

  test('a runtime without a module it needs gets a clear deny, not a crash', () => {
    const emulator = path.join(__dirname, '..', 'emulator');
    const probe = `
      const Module = require('module');
      const load = Module._load;
      Module._load = function (request, ...rest) {
        if (request === 'zlib') throw new Error("Cannot find module 'zlib'");
        return load.call(this, request, ...rest);
      };
      const { runLogin } = require(${JSON.stringify(emulator)});
      const action = require(${JSON.stringify(ARTIFACT)});
      runLogin(action, { user: { user_id: 'u' } }, { captureOutput: false })
        .then((r) => process.stdout.write(JSON.stringify({ outcome: r.outcome, reason: r.reason })));
    `;
    const result = JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }));
    assert.deepEqual(result, {
      outcome: 'denied',
      reason: "enrich-from-backend: cannot start its WebAssembly (Cannot find module 'zlib')",
    });
  });

  test('the header says what the file is', () => {
    const source = fs.readFileSync(ARTIFACT, 'utf8');
    const header = source.slice(0, source.indexOf('*/') + 2);
    assert.match(header, /^\/\*! [\w-]+ \d+\.\d+\.\d+: an Auth0 post-login Action/);
    assert.match(header, /secrets read: auth0_domain, client_id, client_secret, audience, backend_url/);
    assert.match(header, /sha256 [0-9a-f]{64}/);
    const declared = Number(/code after this header: (\d+) bytes/.exec(header)[1]);
    assert.equal(Buffer.byteLength(source) - Buffer.byteLength(header) - 1, declared);
  });

  test('the WebAssembly is decoded, compiled and instantiated once, then reused by every login', async () => {
    const servers = await startServers({ backend: { reply: { status: 200, json: { plan: 'pro' } } } });
    const counts = { Module: 0, Instance: 0 };
    const { Module, Instance } = WebAssembly;
    WebAssembly.Module = function (...args) { counts.Module++; return new Module(...args); };
    WebAssembly.Instance = function (...args) { counts.Instance++; return new Instance(...args); };
    try {
      delete require.cache[ARTIFACT];
      const action = require(ARTIFACT);
      assert.deepEqual(counts, { Module: 0, Instance: 0 }, 'nothing is compiled before the first login');
      const secrets = {
        auth0_domain: servers.token.url, client_id: 'id', client_secret: 'CS-reuse-test-secret',
        audience: 'aud', backend_url: servers.backend.url,
      };
      const event = { user: { user_id: 'u', email: 'a@example.com', email_verified: true } };
      for (let login = 0; login < 5; login++) {
        const result = await runLogin(action, event, { secrets, captureOutput: false });
        assert.equal(result.outcome, 'ok', JSON.stringify(result.reason));
        assert.deepEqual(result.claims.idToken, { 'http://test.org/extra_info': { plan: 'pro' } });
      }
      // The Action's module, and the tiny basE91 decoder that unpacks it once (template.js).
      assert.deepEqual(counts, { Module: 2, Instance: 2 });
    } finally {
      WebAssembly.Module = Module;
      WebAssembly.Instance = Instance;
      delete require.cache[ARTIFACT];
      await servers.close();
    }
  });

  test('failed logins leave no JavaScript value behind in the wasm instance', async () => {
    // Regression: a throwing `catch` import (JSON.parse on an HTML error page) leaked one
    // externref slot per login in wasm-bindgen 0.2.130.
    const servers = await startServers({
      backend: { reply: { status: 500, body: '<html>proxy error</html>', contentType: 'text/html' } },
    });
    const { Instance } = WebAssembly;
    let exported;
    WebAssembly.Instance = function (...args) {
      const instance = new Instance(...args);
      exported = instance.exports;
      return instance;
    };
    try {
      delete require.cache[ARTIFACT];
      const action = require(ARTIFACT);
      const secrets = {
        auth0_domain: servers.token.url, client_id: 'leak-test', client_secret: 'CS-leak-test-secret',
        audience: 'aud', backend_url: servers.backend.url,
      };
      const event = { user: { user_id: 'u', email: 'a@example.com', email_verified: true } };
      const held = () => {
        const table = exported.__wbindgen_externrefs;
        let count = 0;
        for (let i = 0; i < table.length; i++) if (table.get(i) !== null) count++;
        return count;
      };
      const first = await runLogin(action, event, { secrets, captureOutput: false });
      assert.equal(first.reason, 'enrich-from-backend: backend answered HTTP 500');
      const before = held();
      for (let i = 0; i < 200; i++) await runLogin(action, event, { secrets, captureOutput: false });
      assert.ok(held() - before < 5, `${held() - before} more JavaScript values held after 200 logins`);
    } finally {
      WebAssembly.Instance = Instance;
      delete require.cache[ARTIFACT];
      await servers.close();
    }
  });

  test('concurrent logins on one instance are separate tasks: each gets its own answer', async () => {
    // Answers arrive out of order (random delays), so the wasm holds several logins at once,
    // each parked on its own request, and resumes each with the right answer.
    const servers = await startServers({
      backend: { reply: (request) => ({ status: 200, json: { for: request.email }, delayMs: Math.floor(Math.random() * 30) }) },
    });
    try {
      delete require.cache[ARTIFACT];
      const action = require(ARTIFACT);
      const secrets = {
        auth0_domain: servers.token.url, client_id: 'concurrency', client_secret: 'CS-concurrency-secret',
        audience: 'aud', backend_url: servers.backend.url,
      };
      const logins = Array.from({ length: 25 }, (_, i) => {
        const emulated = createApi();
        const email = `user${i}@example.com`;
        const event = { user: { user_id: `auth0|${i}`, email, email_verified: true }, secrets };
        return action.onExecutePostLogin(event, emulated.api).then(() => ({ email, emulated }));
      });
      for (const { email, emulated } of await Promise.all(logins)) {
        assert.equal(emulated.state.denied, null);
        assert.deepEqual(emulated.state.idToken.claims, { 'http://test.org/extra_info': { for: email } });
      }
      assert.equal(servers.backend.requests.length, 25);
    } finally {
      delete require.cache[ARTIFACT];
      await servers.close();
    }
  });

  test('Auth0 refusing a command fails the login by the policy, without a crash', async () => {
    const servers = await startServers({ backend: { reply: { status: 200, json: { plan: 'pro' } } } });
    try {
      const action = require(ARTIFACT);
      const emulated = createApi();
      emulated.api.idToken.setCustomClaim = () => {
        throw new Error('claim rejected');
      };
      const secrets = {
        auth0_domain: servers.token.url, client_id: 'refusal-test', client_secret: 'CS-refusal-secret',
        audience: 'aud', backend_url: servers.backend.url,
      };
      const event = { user: { user_id: 'u', email: 'a@example.com', email_verified: true } };
      const result = await runLogin(action, event, { secrets, api: emulated, captureOutput: false });
      assert.equal(result.outcome, 'denied');
      assert.equal(result.reason, 'enrich-from-backend: Auth0 refused a call (claim rejected)');
    } finally {
      await servers.close();
    }
  });

  test('a member of the user it reads that is not JSON fails the login, named; one it does not read is never touched', async () => {
    // Auth0's events are JSON, so only a direct call can hand over a BigInt or a cycle. The
    // Action reads the verified email alone (`Event::verified_email`): two members cross, and
    // nothing else of the user.
    const servers = await startServers();
    try {
      const action = require(ARTIFACT);
      const secrets = {
        auth0_domain: servers.token.url, client_id: 'member-test', client_secret: 'CS-member-secret',
        audience: 'aud', backend_url: servers.backend.url,
      };
      const cycle = {};
      cycle.self = cycle;
      for (const [member, value] of [['email', 10n], ['email_verified', cycle]]) {
        const { api, state } = createApi();
        const user = { user_id: 'u', email: 'a@example.com', email_verified: true, [member]: value };
        await action.onExecutePostLogin({ user, secrets }, api);
        assert.deepEqual(state.denied, { reason: `enrich-from-backend: malformed event: user.${member}: not JSON (a cycle or a BigInt)` });
        assert.deepEqual(state.idToken.claims, {});
      }
      // The user itself, read for its two members, is refused as reading it whole would be.
      const whole = createApi();
      await action.onExecutePostLogin({ user: 10n, secrets }, whole.api);
      assert.deepEqual(whole.state.denied, { reason: 'enrich-from-backend: malformed event: user: not JSON (a cycle or a BigInt)' });
      assert.equal(servers.token.requests.length + servers.backend.requests.length, 0);
      const { api, state } = createApi();
      const user = { user_id: 10n, email: 'a@example.com', email_verified: true, nickname: cycle };
      Object.defineProperty(user, 'name', { get() { throw new Error('the Action read user.name'); }, enumerable: true });
      await action.onExecutePostLogin({ user, secrets }, api);
      assert.equal(state.denied, null);
      assert.ok(state.idToken.claims['http://test.org/extra_info'], 'enriched');
      assert.equal(servers.backend.requests.length, 1);
    } finally {
      await servers.close();
    }
  });

  test('deny reasons are "<action>: <what failed>"', async () => {
    const action = require(ARTIFACT);
    const event = { user: { user_id: 'u', email: 'a@example.com', email_verified: true } };
    // Secrets the Action accepts (it fails on the user before it would send anything).
    const usable = { auth0_domain: 'x', client_id: 'i', client_secret: 's', audience: 'a', backend_url: 'https://b' };
    const cases = [
      [{}, event, 'enrich-from-backend: missing secret auth0_domain'],
      [{ auth0_domain: 'x', client_id: 'i', client_secret: '  ', audience: 'a', backend_url: 'https://b' }, event,
        'enrich-from-backend: secret client_secret is empty'],
      [{ auth0_domain: 'x', client_id: 'i', client_secret: 's', audience: 'a', backend_url: 'b.example' }, event,
        'enrich-from-backend: secret backend_url is not a usable URL: it must start with https:// or http://'],
      [usable, { user: { user_id: 'u', email_verified: 'yes' } },
        'enrich-from-backend: malformed event: user.email_verified: expected a boolean, found a string'],
      [usable, { user: 42 }, 'enrich-from-backend: malformed event: user: expected an object, found a number'],
    ];
    for (const [secrets, login, expected] of cases) {
      const result = await runLogin(action, login, { secrets, captureOutput: false });
      assert.equal(result.outcome, 'denied');
      assert.equal(result.reason, expected);
    }
  });
});
