'use strict';
/**
 * The compiled enrich-from-backend Action fed bad input: a matrix of malformed events, broken
 * secrets and misbehaving token endpoints and backends, each with its exact outcome, its exact
 * deny reason, how many requests it made, how long it took, and no secret or token leaking out.
 * Then token reuse across logins and the api.cache entry that carries it.
 *
 * Runs against the artifact named by POSTLOGIN_ARTIFACT (skipped when unset: the hand-written
 * baseline implements none of these policies). Policy under test (the artifact's defaults):
 * 3000 ms per request, 10000 ms for the whole Action, at most 1 retry (network errors, 429, 502,
 * 503, 504; Retry-After in seconds honoured when wait + 3000 ms fits in the budget; 100 ms
 * without one), no retry on timeouts, no redirects followed, answers capped at 65536 bytes,
 * plain http:// only to loopback.
 *
 * Cases that take seconds (hangs, slow answers) run concurrently, without output capture (the
 * capture is process-global): their leak checks cover the reason and the api calls only.
 */

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { runLogin, createApi, LIMITS } = require('../emulator');
const { makeEvent, makeSecrets } = require('../lib/fixtures');
const { assertNoLeaks } = require('../lib/leaks');
const { startServers, startBackendServer, unusedOrigin } = require('../lib/servers');

function resolveArtifact() {
  const fromEnv = process.env.POSTLOGIN_ARTIFACT;
  if (fromEnv === undefined) return undefined;
  if (fromEnv.trim() === '') throw new Error('POSTLOGIN_ARTIFACT is set but empty');
  return path.resolve(fromEnv);
}

const ARTIFACT = resolveArtifact();
const skip = ARTIFACT ? false : 'set POSTLOGIN_ARTIFACT to the compiled dist/enrich-from-backend/action.js';
const action = ARTIFACT ? require(ARTIFACT) : undefined;

const PREFIX = 'enrich-from-backend: ';
const CLAIM = 'http://test.org/extra_info';
const SECRET_NAMES = ['auth0_domain', 'client_id', 'client_secret', 'audience', 'backend_url'];
const REQUEST_TIMEOUT_MS = 3000;
const MAX_ANSWER_BYTES = 65536;
const DAY_MS = 24 * 3600 * 1000;
const FAST_MS = 1000; // upper bound for every case that waits on nothing
const TIMEOUT_WINDOW = [2900, 3800]; // a request cut off at 3000 ms
const TEST_TIMEOUT_MS = 8000;
const LOGIN_BUDGET_MS = 12000; // the emulator's cut-off: above the Action's own 10000 ms budget
const ANSWER = { tier: 'gold', since: 2019 };
const ANSWERING = { backend: { reply: { status: 200, json: ANSWER } } };

// ---------------------------------------------------------------------------------------------
// Fixtures

// Replies. A reply in a case is a spec, a function (request, env) => spec, or an array of those
// answered in order (the last one repeats).
const issueToken = (request, env) => ({ status: 200, json: { access_token: env.token.accessToken, token_type: 'Bearer', expires_in: 86400, scope: 'read:users' } });
// Error bodies echo the client secret / the bearer token: a reason built from a body would leak it.
const tokenError = (status, error, headers) => (request) => ({
  status,
  headers,
  json: { error, error_description: `rejected ${request.body && request.body.client_secret}` },
});
const backendError = (status, headers) => (request) => ({ status, headers, body: `failed for ${request.headers.authorization}` });

function scriptReply(reply, env) {
  if (Array.isArray(reply)) {
    let next = 0;
    const steps = reply.map((step) => scriptReply(step, env));
    return (request) => {
      const step = steps[Math.min(next++, steps.length - 1)];
      return typeof step === 'function' ? step(request) : step;
    };
  }
  if (typeof reply === 'function') return (request) => reply(request, env);
  return reply;
}

/**
 * A backend that can do what lib/servers.js cannot: reset the connection, or stream a chunked
 * answer with no content-length, its chunks `gapMs` apart (so they arrive as separate reads),
 * and maybe never end it. `plan[i]` answers request i (the last one repeats):
 * 'reset' | { status, chunks: (string or Buffer)[], gapMs?: number, endless?: true }.
 */
async function startRawBackend(plan) {
  const requests = [];
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, headers: req.headers });
    const step = plan[Math.min(requests.length - 1, plan.length - 1)];
    if (step === 'reset') {
      req.socket.destroy();
      return;
    }
    res.writeHead(step.status || 200, { 'content-type': 'application/json' });
    const chunks = [...step.chunks];
    const writeNext = () => {
      if (chunks.length === 0) {
        if (!step.endless) res.end();
        return;
      }
      res.write(chunks.shift());
      if (step.gapMs) setTimeout(writeNext, step.gapMs);
      else writeNext();
    };
    writeNext();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/**
 * The parts of a case whose backend is `startRawBackend(plan)`, which must get `requests`
 * requests in all (the backend server of lib/servers.js gets none).
 */
function onRawBackend(plan, requests) {
  return {
    setup: async () => {
      const raw = await startRawBackend(plan);
      return { raw, close: raw.close };
    },
    secrets: (env, { raw }) => ({ backend_url: raw.url }),
    requests: { token: 1, backend: 0 },
    check: (result, env, { raw }) => assert.equal(raw.requests.length, requests),
  };
}

// ---------------------------------------------------------------------------------------------
// Checks

const claimCalls = (result) => result.calls.filter((call) => call.api.endsWith('.setCustomClaim'));
const effectCalls = (result) => result.calls.filter((call) => !call.api.startsWith('cache.')).map(({ api, args }) => ({ api, args }));

function assertOkWithClaim(result, value) {
  assert.equal(result.outcome, 'ok', `login should proceed, got ${result.outcome}: ${result.reason}`);
  assert.deepEqual(effectCalls(result), [
    { api: 'accessToken.setCustomClaim', args: [CLAIM, value] },
    { api: 'idToken.setCustomClaim', args: [CLAIM, value] },
  ]);
}

function assertOkWithoutClaims(result) {
  assert.equal(result.outcome, 'ok', `login should proceed, got ${result.outcome}: ${result.reason}`);
  assert.deepEqual(effectCalls(result), [], 'no claims, no deny');
}

/** Denied through one api.access.deny with exactly `enrich-from-backend: <message>`, no claims. */
function assertDenied(result, message) {
  assert.equal(result.outcome, 'denied', `login should be denied, got ${result.outcome}: ${result.reason}`);
  assert.equal(result.threw, false, `the Action must deny through the api, but it threw: ${result.thrown}`);
  assert.equal(result.deniedBy, 'api');
  assert.equal(result.reason, `${PREFIX}${message}`);
  assert.deepEqual(effectCalls(result), [{ api: 'access.deny', args: [`${PREFIX}${message}`] }], 'one deny, no claims');
  assert.deepEqual(claimCalls(result), []);
}

function assertTook(result, [min, max]) {
  assert.ok(result.ms >= min && result.ms <= max, `took ${Math.round(result.ms)} ms, expected between ${min} and ${max} ms`);
}

// ---------------------------------------------------------------------------------------------
// Harness

/**
 * Runs one matrix case: fresh servers, the login, then every check the case names.
 *   user | event(event)      the event (overrides of makeEvent's user, or a mutation of it)
 *   secrets(env, extra)      secret overrides (undefined removes one)
 *   token, backend           replies (see scriptReply); default: a token, then 200 ANSWER
 *   setup(env)               async; extra servers: returns { close, ...anything for check }
 *   expect                   { claim } | { noClaims: true } | { denied: message }
 *   requests                 { token, backend } exact counts (0/0 for anything refused up front)
 *   ms                       [min, max] (default [0, FAST_MS])
 *   check(result, env, extra)
 *   slow                     runs in the concurrent group, without output capture
 */
function matrixCase(c) {
  test(c.name, { timeout: TEST_TIMEOUT_MS }, async () => {
    const env = await startServers();
    let extra = {};
    const watchdog = setTimeout(() => env.close(), TEST_TIMEOUT_MS - 250);
    try {
      if (c.setup) extra = (await c.setup(env)) || {};
      env.token.reply = scriptReply(c.token || issueToken, env);
      env.backend.reply = scriptReply(c.backend || { status: 200, json: ANSWER }, env);
      const event = makeEvent(c.user);
      if (c.event) c.event(event);
      const secrets = makeSecrets(env, c.secrets ? c.secrets(env, extra) : {});
      const result = await runLogin(action, event, { secrets, timeoutMs: LOGIN_BUDGET_MS, captureOutput: !c.slow });

      assertNoLeaks(result, secrets, [env.token.accessToken, ...(extra.tokens || [])]);
      if (c.expect.denied !== undefined) assertDenied(result, c.expect.denied);
      else if (c.expect.noClaims) assertOkWithoutClaims(result);
      else assertOkWithClaim(result, c.expect.claim === undefined ? ANSWER : c.expect.claim);
      if (c.requests) {
        assert.deepEqual(
          { token: env.token.requests.length, backend: env.backend.requests.length },
          c.requests,
          'requests made (token endpoint, backend)',
        );
      }
      assertTook(result, c.ms || [0, FAST_MS]);
      if (c.check) await c.check(result, env, extra);
    } finally {
      clearTimeout(watchdog);
      await env.close();
      if (extra.close) await extra.close();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The matrix

const NONE = { token: 0, backend: 0 };
const BOTH = { token: 1, backend: 1 };
const malformed = (message) => ({ expect: { denied: `malformed event: ${message}` }, requests: NONE });

const EVENT_CASES = [
  { name: 'event without user', event: (e) => { delete e.user; }, ...malformed('missing field `user`') },
  { name: 'event.user is null', event: (e) => { e.user = null; }, ...malformed('missing field `user`') },
  { name: 'event.user is a string', event: (e) => { e.user = 'auth0|1'; }, ...malformed('user: expected an object, found a string') },
  { name: 'event.user is an array', event: (e) => { e.user = [{ user_id: 'auth0|1' }]; }, ...malformed('user: expected an object, found an array') },
  { name: 'user.email is a number', user: { email: 42 }, ...malformed('user.email: expected a string, found a number') },
  { name: 'user.email is an object', user: { email: { address: 'alice@example.com' } }, ...malformed('user.email: expected a string, found an object') },
  { name: 'user.email_verified is the string "true"', user: { email_verified: 'true' }, ...malformed('user.email_verified: expected a boolean, found a string') },
  { name: 'user.email_verified is the number 1', user: { email_verified: 1 }, ...malformed('user.email_verified: expected a boolean, found a number') },
  // The Action reads the verified email alone (`Event::verified_email`): the rest of the user
  // never crosses, and is not checked, as in JavaScript (the native tests, and
  // progressive-profile's compiled ones, pin the failures of an Action that reads it whole).
  { name: 'event.user without user_id: never read, enriched', event: (e) => { delete e.user.user_id; }, expect: {}, requests: BOTH },
  { name: 'user.user_id is a number: never read, enriched', user: { user_id: 12345 }, expect: {}, requests: BOTH },
  { name: 'user.multifactor is a list: enriched', user: { multifactor: ['guardian'] }, expect: {}, requests: BOTH },
  { name: 'user.multifactor is a string: never read, enriched', user: { multifactor: 'guardian' }, expect: {}, requests: BOTH },
  { name: 'user.name is a number: never read, enriched', user: { name: 42 }, expect: {}, requests: BOTH },
  // Parts of the event decode when the Action reads them: a malformed part it never reads is
  // as harmless as it would be in JavaScript (the native tests pin the failure when it does).
  // The user's identities, enrolled factors and metadata are parts of their own: they do not
  // even cross into the wasm unless read.
  { name: 'user.identities is an object: never read, enriched', user: { identities: { 0: { provider: 'auth0' } } }, expect: {}, requests: BOTH },
  { name: 'user.identities[0].isSocial is a string: never read, enriched', user: { identities: [{ provider: 'auth0', isSocial: 'no' }] }, expect: {}, requests: BOTH },
  { name: 'transaction.requested_scopes is a string: never read, enriched', event: (e) => { e.transaction.requested_scopes = 'openid email'; }, expect: {}, requests: BOTH },
  { name: 'stats.logins_count is a string: never read, enriched', event: (e) => { e.stats.logins_count = 'three'; }, expect: {}, requests: BOTH },
  // app_metadata / user_metadata are free-form JSON to the Action (which never reads them).
  { name: 'user.app_metadata is a string: tolerated, enriched', user: { app_metadata: 'plan=gold' }, expect: {}, requests: BOTH },
  { name: 'user.app_metadata is an array: tolerated, enriched', user: { app_metadata: [1, 2] }, expect: {}, requests: BOTH },
  {
    name: 'a 1 MB user_metadata: enriched, the backend gets the email only',
    user: { user_metadata: { blob: 'x'.repeat(1024 * 1024), nested: { deeper: 'y'.repeat(1000) } } },
    expect: {},
    requests: BOTH,
    check: (result, env) => assert.equal(env.backend.requests[0].email, 'alice@example.com'),
  },
  {
    name: 'unknown extra fields at every level: ignored, enriched',
    event: (e) => {
      e.brand_new_field = { anything: [1, 'two', null] };
      e.user.shoe_size = 44;
      e.user.identities[0].profileData = { picture: 'p', extra: { deep: true } };
      e.user.identities[0].surprise = 'x';
      e.request.geoip.newProperty = [];
      e.transaction.unknown = { a: 1 };
      e.client.mystery = null;
    },
    expect: {},
    requests: BOTH,
  },
  {
    name: 'null optional fields are absent: enriched',
    user: { name: null, app_metadata: null, user_metadata: null, identities: null, picture: null },
    event: (e) => { e.client = null; e.transaction = null; e.request = null; },
    expect: {},
    requests: BOTH,
  },
  { name: 'user.email is null: no calls, no claims, ok', user: { email: null }, expect: { noClaims: true }, requests: NONE },
  { name: 'user.email_verified is null: no calls, no claims, ok', user: { email_verified: null }, expect: { noClaims: true }, requests: NONE },
  { name: 'user.email is empty though verified: no calls, no claims, ok', user: { email: '' }, expect: { noClaims: true }, requests: NONE },
];

const SECRET_CASES = [];
for (const name of SECRET_NAMES) {
  SECRET_CASES.push({ name: `secret ${name} missing`, secrets: () => ({ [name]: undefined }), expect: { denied: `missing secret ${name}` }, requests: NONE });
  SECRET_CASES.push({ name: `secret ${name} empty`, secrets: () => ({ [name]: '' }), expect: { denied: `secret ${name} is empty` }, requests: NONE });
  SECRET_CASES.push({ name: `secret ${name} only whitespace`, secrets: () => ({ [name]: ' \t\n ' }), expect: { denied: `secret ${name} is empty` }, requests: NONE });
}
const unusable = (name, reason) => ({ expect: { denied: `secret ${name} is not a usable URL: ${reason}` }, requests: NONE });
SECRET_CASES.push(
  { name: 'backend_url without a scheme', secrets: (env) => ({ backend_url: env.backend.url.replace('http://', '') }), ...unusable('backend_url', 'it must start with https:// or http://') },
  { name: 'backend_url with another scheme (ftp://)', secrets: () => ({ backend_url: 'ftp://backend.example.test' }), ...unusable('backend_url', 'it must start with https:// or http://') },
  { name: 'backend_url with a space', secrets: (env) => ({ backend_url: `${env.backend.url}/my api` }), ...unusable('backend_url', 'it contains spaces or control characters') },
  { name: 'backend_url with a query string', secrets: (env) => ({ backend_url: `${env.backend.url}/?tenant=1` }), ...unusable('backend_url', 'it must not have a query or a fragment') },
  { name: 'backend_url with credentials', secrets: (env) => ({ backend_url: env.backend.url.replace('http://', 'http://admin:pw-in-url@') }), ...unusable('backend_url', 'it must not carry credentials') },
  { name: 'backend_url with no host', secrets: () => ({ backend_url: 'https:///api' }), ...unusable('backend_url', 'it has no host') },
  { name: 'auth0_domain with a space', secrets: () => ({ auth0_domain: 'tenant example.auth0.com' }), ...unusable('auth0_domain', 'it contains spaces or control characters') },
  { name: 'auth0_domain with a query string', secrets: (env) => ({ auth0_domain: `${env.token.url}?x=1` }), ...unusable('auth0_domain', 'it must not have a query or a fragment') },
  { name: 'auth0_domain with credentials', secrets: (env) => ({ auth0_domain: env.token.url.replace('http://', 'http://user:pw@') }), ...unusable('auth0_domain', 'it must not carry credentials') },
  {
    name: 'auth0_domain plain http:// to a non-loopback host: refused, no request',
    secrets: () => ({ auth0_domain: 'http://example.invalid' }),
    expect: { denied: 'token endpoint URL is plain http:// to a host other than loopback (allow_insecure_http is off)' },
    requests: NONE,
  },
  // Refused before ANY request: not even a token (an M2M quota hit) for a backend that will
  // never be called. The description promises the refusal "before any request".
  {
    name: 'backend_url plain http:// to a non-loopback host: refused, no request',
    secrets: () => ({ backend_url: 'http://example.invalid' }),
    expect: { denied: 'backend URL is plain http:// to a host other than loopback (allow_insecure_http is off)' },
    requests: NONE,
  },
  {
    name: 'backend_url plain http:// to a private address: refused, no request',
    secrets: () => ({ backend_url: 'http://10.0.0.1:8080' }),
    expect: { denied: 'backend URL is plain http:// to a host other than loopback (allow_insecure_http is off)' },
    requests: NONE,
  },
);

const TOKEN_CASES = [
  { name: 'token endpoint 401 invalid_client', token: tokenError(401, 'invalid_client'), expect: { denied: 'token endpoint answered HTTP 401 (invalid_client)' }, requests: { token: 1, backend: 0 } },
  { name: 'token endpoint 403 access_denied', token: tokenError(403, 'access_denied'), expect: { denied: 'token endpoint answered HTTP 403 (access_denied)' }, requests: { token: 1, backend: 0 } },
  {
    name: 'token endpoint 401 with a free-text error: no code in the reason',
    token: (request) => ({ status: 401, json: { error: `Bad secret ${request.body.client_secret}` } }),
    expect: { denied: 'token endpoint answered HTTP 401' },
    requests: { token: 1, backend: 0 },
  },
  { name: 'token endpoint 500 (not retried)', token: (request) => ({ status: 500, body: `boom ${request.body.client_secret}` }), expect: { denied: 'token endpoint answered HTTP 500' }, requests: { token: 1, backend: 0 } },
  {
    name: 'token endpoint 429 Retry-After: 0, then 200: ok after 2 token requests',
    token: [tokenError(429, 'too_many_requests', { 'retry-after': '0' }), issueToken],
    expect: {},
    requests: { token: 2, backend: 1 },
  },
  {
    name: 'token endpoint 429 Retry-After: 60: no retry, denied at once',
    token: tokenError(429, 'too_many_requests', { 'retry-after': '60' }),
    expect: { denied: 'token endpoint answered HTTP 429 (too_many_requests)' },
    requests: { token: 1, backend: 0 },
  },
  {
    name: 'token endpoint 429 Retry-After: 8 (8 s + 3 s over the 10 s budget): no retry',
    token: tokenError(429, 'too_many_requests', { 'retry-after': '8' }),
    expect: { denied: 'token endpoint answered HTTP 429 (too_many_requests)' },
    requests: { token: 1, backend: 0 },
  },
  {
    name: 'token endpoint 503 with an HTTP-date Retry-After: no retry',
    token: tokenError(503, 'temporarily_unavailable', { 'retry-after': new Date(Date.now() + 1000).toUTCString() }),
    expect: { denied: 'token endpoint answered HTTP 503 (temporarily_unavailable)' },
    requests: { token: 1, backend: 0 },
  },
  {
    name: 'token endpoint 503 then 200: ok, retried after the 100 ms backoff',
    token: [tokenError(503, 'temporarily_unavailable'), issueToken],
    expect: {},
    requests: { token: 2, backend: 1 },
    ms: [90, FAST_MS],
  },
  {
    name: 'token endpoint 503 twice: denied after 2 requests',
    token: tokenError(503, 'temporarily_unavailable'),
    expect: { denied: 'token endpoint answered HTTP 503 (temporarily_unavailable)' },
    requests: { token: 2, backend: 0 },
  },
  { name: 'token endpoint answer not JSON', token: { status: 200, body: '<html>maintenance</html>', contentType: 'text/html' }, expect: { denied: 'token endpoint sent an unusable answer: not JSON' }, requests: { token: 1, backend: 0 } },
  { name: 'token endpoint JSON without access_token', token: { status: 200, json: { token_type: 'Bearer', expires_in: 86400 } }, expect: { denied: 'token endpoint sent an unusable answer: no access_token' }, requests: { token: 1, backend: 0 } },
  { name: 'token endpoint empty access_token', token: { status: 200, json: { access_token: '', token_type: 'Bearer' } }, expect: { denied: 'token endpoint sent an unusable answer: no access_token' }, requests: { token: 1, backend: 0 } },
  { name: 'token endpoint access_token is a number', token: { status: 200, json: { access_token: 12345, token_type: 'Bearer' } }, expect: { denied: 'token endpoint sent an unusable answer: no access_token' }, requests: { token: 1, backend: 0 } },
  {
    name: 'token endpoint unreachable: retried once, denied',
    secrets: () => ({ auth0_domain: unreachableOrigin }),
    expect: { denied: 'token endpoint could not be reached' },
    requests: NONE,
    ms: [90, FAST_MS],
  },
  {
    name: 'token endpoint hangs: denied at ~3000 ms, not retried',
    slow: true,
    token: { hang: true },
    expect: { denied: `token endpoint did not answer within ${REQUEST_TIMEOUT_MS} ms` },
    requests: { token: 1, backend: 0 },
    ms: TIMEOUT_WINDOW,
  },
  {
    name: 'token endpoint slow (1 s) but under the timeout: ok',
    slow: true,
    token: (request, env) => ({ ...issueToken(request, env), delayMs: 1000 }),
    expect: {},
    requests: BOTH,
    ms: [950, 2000],
  },
];

let unreachableOrigin; // an http:// origin on 127.0.0.1 where nothing listens (set in before())

const tooBig = `"${'a'.repeat(MAX_ANSWER_BYTES - 1)}"`; // MAX + 1 bytes of JSON
const justFits = 'a'.repeat(MAX_ANSWER_BYTES - 2); // a JSON string of exactly MAX bytes

const BACKEND_CASES = [
  { name: 'backend 404: ok, no claims', backend: { status: 404, json: { error: 'user not found' } }, expect: { noClaims: true }, requests: BOTH },
  { name: 'backend 500 (not retried)', backend: backendError(500), expect: { denied: 'backend answered HTTP 500' }, requests: BOTH },
  { name: 'backend 401 (not retried)', backend: backendError(401), expect: { denied: 'backend answered HTTP 401' }, requests: BOTH },
  { name: 'backend 503 then 200: ok after 2 backend requests', backend: [backendError(503), { status: 200, json: ANSWER }], expect: {}, requests: { token: 1, backend: 2 }, ms: [90, FAST_MS] },
  { name: 'backend 502 twice: denied after 2 backend requests', backend: backendError(502), expect: { denied: 'backend answered HTTP 502' }, requests: { token: 1, backend: 2 } },
  { name: 'backend 504 then 200: ok after 2 backend requests', backend: [backendError(504), { status: 200, json: ANSWER }], expect: {}, requests: { token: 1, backend: 2 } },
  { name: 'backend 503 Retry-After: 60: no retry', backend: backendError(503, { 'retry-after': '60' }), expect: { denied: 'backend answered HTTP 503' }, requests: BOTH },
  { name: 'backend answer not JSON', backend: { status: 200, body: '<html>oops</html>', contentType: 'text/html' }, expect: { denied: 'backend sent an unusable answer: not JSON' }, requests: BOTH },
  { name: 'backend 200 with an empty body', backend: { status: 200, body: '' }, expect: { denied: 'backend sent an unusable answer: not JSON' }, requests: BOTH },
  { name: 'backend 200 with truncated JSON', backend: { status: 200, body: '{"tier": "gol', contentType: 'application/json' }, expect: { denied: 'backend sent an unusable answer: not JSON' }, requests: BOTH },
  {
    name: `backend answer of exactly ${MAX_ANSWER_BYTES} bytes: accepted`,
    backend: { status: 200, json: justFits },
    expect: { claim: justFits },
    requests: BOTH,
    check: () => assert.equal(Buffer.byteLength(JSON.stringify(justFits)), MAX_ANSWER_BYTES),
  },
  {
    name: `backend answer of ${MAX_ANSWER_BYTES + 1} bytes: refused`,
    backend: { status: 200, body: tooBig, contentType: 'application/json' },
    expect: { denied: `backend sent an answer over ${MAX_ANSWER_BYTES} bytes` },
    requests: BOTH,
    check: () => assert.equal(Buffer.byteLength(tooBig), MAX_ANSWER_BYTES + 1),
  },
  {
    name: 'backend answer over the cap, chunked without content-length, in multi-byte characters: refused',
    // 40000 × 'é' is 80002 bytes but only 40002 UTF-16 code units.
    ...onRawBackend([{ chunks: ['"', 'é'.repeat(20000), 'é'.repeat(20000), '"'] }], 1),
    expect: { denied: `backend sent an answer over ${MAX_ANSWER_BYTES} bytes` },
  },
  {
    // Refused as soon as it is over the cap, not read on until the request times out.
    name: 'backend answer over the cap that never ends: refused at once',
    ...onRawBackend([{ chunks: ['"', 'a'.repeat(MAX_ANSWER_BYTES)], endless: true }], 1),
    expect: { denied: `backend sent an answer over ${MAX_ANSWER_BYTES} bytes` },
  },
  {
    name: 'backend answer with bytes that are not UTF-8: they become U+FFFD, enriched',
    ...onRawBackend([{ chunks: [Buffer.from([0x22, 0x61, 0xff, 0xfe, 0x62, 0x22])] }], 1),
    expect: { claim: 'a\ufffd\ufffdb' },
  },
  {
    // Three reads (5 ms apart), put together before they are decoded: 'é' is 0xc3 0xa9.
    name: 'backend answer in chunks that split a character: enriched with it whole',
    ...onRawBackend([{ chunks: [Buffer.from('"caf'), Buffer.from([0xc3]), Buffer.from([0xa9, 0x22])], gapMs: 5 }], 1),
    expect: { claim: 'café' },
  },
  {
    name: 'backend answer behind a byte order mark: the mark is dropped, enriched',
    backend: { status: 200, body: `\ufeff${JSON.stringify(ANSWER)}`, contentType: 'application/json' },
    expect: {},
    requests: BOTH,
  },
  {
    name: 'backend 302 redirect: denied, the redirect target never receives a request',
    setup: async () => {
      const target = await startBackendServer();
      return { target, close: target.close };
    },
    backend: (request, env) => ({ status: 302, headers: { location: `${env.redirectTarget}/api/users/alice%40example.com` }, body: '' }),
    expect: { denied: 'backend answered HTTP 302' },
    requests: BOTH,
    check: (result, env, { target }) => {
      assert.equal(target.requests.length, 0, 'the redirect was followed');
    },
  },
  {
    name: 'backend resets the connection once: retried, ok',
    ...onRawBackend(['reset', { chunks: [JSON.stringify(ANSWER)] }], 2),
    expect: {},
    ms: [90, FAST_MS],
    check: (result, env, { raw }) => {
      assert.equal(raw.requests.length, 2, 'one reset, one retry');
      assert.equal(raw.requests[1].headers.authorization, `Bearer ${env.token.accessToken}`);
    },
  },
  {
    name: 'backend resets the connection twice: denied after 2 requests',
    ...onRawBackend(['reset'], 2),
    expect: { denied: 'backend could not be reached' },
  },
  {
    name: 'backend hangs: denied at ~3000 ms, not retried',
    slow: true,
    backend: { hang: true },
    expect: { denied: `backend did not answer within ${REQUEST_TIMEOUT_MS} ms` },
    requests: BOTH,
    ms: TIMEOUT_WINDOW,
  },
  {
    name: 'backend 429 Retry-After: 1, then 200: ok after waiting ~1 s',
    slow: true,
    backend: [backendError(429, { 'retry-after': '1' }), { status: 200, json: ANSWER }],
    expect: {},
    requests: { token: 1, backend: 2 },
    ms: [950, 2000],
  },
];

// The redirect target's URL is only known once its server runs; setup() returns it.
for (const c of BACKEND_CASES) {
  if (!c.name.includes('302')) continue;
  const setup = c.setup;
  c.setup = async (env) => {
    const extra = await setup(env);
    env.redirectTarget = extra.target.url;
    return extra;
  };
}

// ---------------------------------------------------------------------------------------------

describe('enrich-from-backend fed bad input', { skip }, () => {
  before(async () => {
    unreachableOrigin = await unusedOrigin();
  });

  const ALL = [...EVENT_CASES, ...SECRET_CASES, ...TOKEN_CASES, ...BACKEND_CASES];
  test('the matrix has at least 40 distinct cases', () => {
    assert.ok(ALL.length >= 40, `${ALL.length} cases`);
    assert.equal(new Set(ALL.map((c) => c.name)).size, ALL.length, 'case names are distinct');
  });

  describe('event shapes', () => {
    for (const c of EVENT_CASES) matrixCase(c);
  });
  describe('secrets', () => {
    for (const c of SECRET_CASES) matrixCase(c);
  });
  describe('token endpoint', () => {
    for (const c of TOKEN_CASES.filter((c) => !c.slow)) matrixCase(c);
  });
  describe('backend', () => {
    for (const c of BACKEND_CASES.filter((c) => !c.slow)) matrixCase(c);
  });
  // Seconds each: concurrently, and so without output capture.
  describe('slow services (concurrent, reason and api calls checked for leaks)', { concurrency: true }, () => {
    for (const c of [...TOKEN_CASES, ...BACKEND_CASES].filter((c) => c.slow)) matrixCase(c);
  });

  describe('token reuse', () => {
    test('50 logins with the same secrets make exactly 1 token request', { timeout: 20000 }, async () => {
      const env = await startServers(ANSWERING);
      try {
        const secrets = makeSecrets(env);
        const started = performance.now();
        for (let i = 0; i < 50; i++) {
          // A fresh api (and api.cache) each time: only the instance's memory carries the token.
          const result = await runLogin(action, makeEvent(), { secrets, timeoutMs: LOGIN_BUDGET_MS });
          assertNoLeaks(result, secrets, [env.token.accessToken]);
          assertOkWithClaim(result, ANSWER);
        }
        assert.equal(env.token.requests.length, 1, 'token requests');
        assert.equal(env.backend.requests.length, 50, 'backend requests');
        assert.ok(env.backend.requests.every((request) => request.headers.authorization === `Bearer ${env.token.accessToken}`));
        const elapsed = performance.now() - started;
        assert.ok(elapsed < 5000, `50 logins took ${Math.round(elapsed)} ms`);
      } finally {
        await env.close();
      }
    });

    // A warm instance's secrets cross into the wasm only when they differ from the last ones
    // it was sent (the shim compares them): every change must still reach the very next login,
    // and a refusal must repeat while the secrets stay wrong.
    test('each login on a warm instance sees its own secrets: removed, emptied, restored, reordered, changed', { timeout: TEST_TIMEOUT_MS }, async () => {
      const env = await startServers(ANSWERING);
      try {
        const secrets = makeSecrets(env);
        const { audience, ...withoutAudience } = secrets;
        const { backend_url: _, ...withoutTheLast } = secrets; // the others, in the same order
        const reordered = Object.fromEntries(Object.entries(secrets).reverse());
        const steps = [
          [secrets, 'ok'],
          [withoutTheLast, `${PREFIX}missing secret backend_url`],
          [withoutAudience, `${PREFIX}missing secret audience`],
          [withoutAudience, `${PREFIX}missing secret audience`],
          [{ ...withoutAudience, audience: '' }, `${PREFIX}secret audience is empty`],
          [{ ...withoutAudience, audience }, 'ok'],
          [reordered, 'ok'],
          [{ ...secrets, backend_url: 'ftp://backend.example.test' }, `${PREFIX}secret backend_url is not a usable URL: it must start with https:// or http://`],
          [{ ...secrets, extra: 'x' }, 'ok'],
        ];
        for (const [index, [given, expected]] of steps.entries()) {
          const result = await runLogin(action, makeEvent(), { secrets: given, timeoutMs: LOGIN_BUDGET_MS });
          assertNoLeaks(result, secrets, [env.token.accessToken]);
          if (expected === 'ok') assertOkWithClaim(result, ANSWER);
          else assert.deepEqual([result.outcome, result.reason], ['denied', expected], `login ${index}`);
        }
        assert.equal(env.backend.requests.length, 4, 'one backend request per accepted login');
      } finally {
        await env.close();
      }
    });

    test('other credentials (another client_id) get their own token', { timeout: TEST_TIMEOUT_MS }, async () => {
      const env = await startServers(ANSWERING);
      try {
        for (let i = 0; i < 2; i++) {
          const secrets = makeSecrets(env);
          const result = await runLogin(action, makeEvent(), { secrets, timeoutMs: LOGIN_BUDGET_MS });
          assertNoLeaks(result, secrets, [env.token.accessToken]);
          assert.equal(result.outcome, 'ok', result.reason);
        }
        assert.equal(env.token.requests.length, 2);
      } finally {
        await env.close();
      }
    });

    test('the api.cache entry: key <= 64 bytes, value "<expires_at>:<token>" <= 4096 bytes, ttl <= 24 h', { timeout: TEST_TIMEOUT_MS }, async () => {
      const env = await startServers(ANSWERING);
      try {
        const secrets = makeSecrets(env);
        const emulated = createApi();
        const before = Date.now();
        const result = await runLogin(action, makeEvent(), { secrets, api: emulated, timeoutMs: LOGIN_BUDGET_MS });
        assertNoLeaks(result, secrets, [env.token.accessToken]);
        assertOkWithClaim(result, ANSWER);
        const sets = result.calls.filter((call) => call.api === 'cache.set');
        assert.equal(sets.length, 1, 'one cache write');
        const [key, value, options] = sets[0].args;
        assert.match(key, /^postlogin:token:[0-9a-f]{16}$/);
        assert.ok(Buffer.byteLength(key) <= LIMITS.cacheMaxKeyBytes, `key of ${Buffer.byteLength(key)} bytes`);
        assert.ok(Buffer.byteLength(value) <= LIMITS.cacheMaxValueBytes, `value of ${Buffer.byteLength(value)} bytes`);
        for (const secret of [secrets.client_secret, secrets.client_id, secrets.audience]) {
          assert.ok(!key.includes(secret), 'the key carries a secret');
        }
        const match = /^(\d+):(.+)$/.exec(value);
        assert.ok(match, `value ${JSON.stringify(value.slice(0, 40))} is not <expires_at_ms>:<token>`);
        assert.equal(match[2], env.token.accessToken);
        // expires_in 86400 s, minus a 60 s margin.
        assert.equal(options.ttl, 86400 * 1000 - 60 * 1000);
        assert.ok(options.ttl <= DAY_MS);
        const expiresAt = Number(match[1]);
        assert.ok(expiresAt >= before + options.ttl - 1000 && expiresAt <= Date.now() + options.ttl, `expires_at ${expiresAt} does not match the ttl`);
        // And the emulator (Auth0's limits) took it.
        assert.equal(emulated.cache.get(key).value, value);
      } finally {
        await env.close();
      }
    });

    test('a token that lives 3 days is cached for 24 h at most', { timeout: TEST_TIMEOUT_MS }, async () => {
      const env = await startServers(ANSWERING);
      try {
        env.token.reply = { status: 200, json: { access_token: env.token.accessToken, token_type: 'Bearer', expires_in: 3 * 86400 } };
        const secrets = makeSecrets(env);
        const result = await runLogin(action, makeEvent(), { secrets, timeoutMs: LOGIN_BUDGET_MS });
        assertNoLeaks(result, secrets, [env.token.accessToken]);
        assert.equal(result.outcome, 'ok', result.reason);
        const sets = result.calls.filter((call) => call.api === 'cache.set');
        assert.equal(sets.length, 1);
        assert.equal(sets[0].args[2].ttl, DAY_MS);
        assert.equal(sets[0].args[2].expires_at, undefined);
      } finally {
        await env.close();
      }
    });

    test('api.cache.set answering CacheSizeExceeded: login ok, a log line names the cache, not the token', { timeout: TEST_TIMEOUT_MS }, async () => {
      const env = await startServers(ANSWERING);
      try {
        const secrets = makeSecrets(env);
        const emulated = createApi();
        const refused = [];
        // Auth0's set answers errors, it does not throw. Still recorded, as the emulator does.
        emulated.api.cache.set = (...args) => {
          emulated.calls.push({ api: 'cache.set', args });
          refused.push(args);
          return { type: 'error', code: 'CacheSizeExceeded' };
        };
        const result = await runLogin(action, makeEvent(), { secrets, api: emulated, timeoutMs: LOGIN_BUDGET_MS });
        assertNoLeaks(result, secrets, [env.token.accessToken]);
        assertOkWithClaim(result, ANSWER);
        assert.equal(refused.length, 1, 'the Action tried to cache the token');
        assert.equal(emulated.cache.size, 0);
        const lines = result.logs.text.split('\n').filter((line) => /cache/i.test(line));
        assert.equal(lines.length, 1, `one log line about the cache, got: ${JSON.stringify(result.logs.text)}`);
        assert.match(lines[0], /CacheSizeExceeded/);
        assert.ok(!lines[0].includes(env.token.accessToken), 'the log line carries the token');
        // Auth0 keeps 256 characters of console output per Action: the line must fit.
        assert.ok(result.logs.text.length <= LIMITS.keptLogChars, `${result.logs.text.length} characters logged`);

        // The token is still kept in the instance's memory: the next login asks for no new one.
        const again = await runLogin(action, makeEvent(), { secrets, timeoutMs: LOGIN_BUDGET_MS });
        assertNoLeaks(again, secrets, [env.token.accessToken]);
        assertOkWithClaim(again, ANSWER);
        assert.equal(env.token.requests.length, 1);
      } finally {
        await env.close();
      }
    });

    test('api.cache.set throwing: login ok, logged without the token', { timeout: TEST_TIMEOUT_MS }, async () => {
      const env = await startServers(ANSWERING);
      try {
        const secrets = makeSecrets(env);
        const emulated = createApi();
        emulated.api.cache.set = () => {
          throw new Error('cache unavailable');
        };
        const result = await runLogin(action, makeEvent(), { secrets, api: emulated, timeoutMs: LOGIN_BUDGET_MS });
        assertNoLeaks(result, secrets, [env.token.accessToken]);
        assertOkWithClaim(result, ANSWER);
        assert.match(result.logs.text, /cache/i);
      } finally {
        await env.close();
      }
    });

    test('a cold instance (a fresh copy of the module) reuses the token from a warm api.cache', { timeout: TEST_TIMEOUT_MS }, async () => {
      const env = await startServers(ANSWERING);
      try {
        const secrets = makeSecrets(env);
        const store = new Map();
        const first = await runLogin(action, makeEvent(), { secrets, api: createApi({ cache: store }), timeoutMs: LOGIN_BUDGET_MS });
        assertOkWithClaim(first, ANSWER);
        assert.equal(store.size, 1);
        const cold = freshActionCopy();
        const second = await runLogin(cold, makeEvent(), { secrets, api: createApi({ cache: store }), timeoutMs: LOGIN_BUDGET_MS });
        assertNoLeaks(second, secrets, [env.token.accessToken]);
        assertOkWithClaim(second, ANSWER);
        assert.equal(env.token.requests.length, 1, 'the cold instance asked for a new token');
        assert.equal(env.backend.requests[1].headers.authorization, `Bearer ${env.token.accessToken}`);
        // Control: a cold instance with an empty api.cache does ask.
        const third = await runLogin(freshActionCopy(), makeEvent(), { secrets, timeoutMs: LOGIN_BUDGET_MS });
        assertOkWithClaim(third, ANSWER);
        assert.equal(env.token.requests.length, 2);
      } finally {
        await env.close();
      }
    });

    test('a cold instance ignores a cache entry that is not "<expires_at>:<token>" and fetches a token', { timeout: TEST_TIMEOUT_MS }, async () => {
      const env = await startServers(ANSWERING);
      try {
        const secrets = makeSecrets(env);
        const store = new Map();
        const first = await runLogin(action, makeEvent(), { secrets, api: createApi({ cache: store }), timeoutMs: LOGIN_BUDGET_MS });
        assert.equal(first.outcome, 'ok', first.reason);
        const [key] = store.keys();
        const expired = `${Date.now() - 1000}:${env.token.accessToken}`;
        for (const bogus of ['not-a-token-record', expired, `${Date.now() + 60000}:`]) {
          store.set(key, { value: bogus, expires_at: Date.now() + 60000 });
          const before = env.token.requests.length;
          const result = await runLogin(freshActionCopy(), makeEvent(), { secrets, api: createApi({ cache: store }), timeoutMs: LOGIN_BUDGET_MS });
          assertNoLeaks(result, secrets, [env.token.accessToken]);
          assertOkWithClaim(result, ANSWER);
          assert.equal(env.token.requests.length, before + 1, `cached ${JSON.stringify(bogus.slice(0, 20))} was used`);
          assert.match(store.get(key).value, /^\d+:AT-/, 'the entry was rewritten');
        }
      } finally {
        await env.close();
      }
    });
  });
});

/** The artifact loaded again: its own module scope, as on a new Auth0 instance. */
function freshActionCopy() {
  const cached = require.cache[ARTIFACT];
  delete require.cache[ARTIFACT];
  try {
    return require(ARTIFACT);
  } finally {
    require.cache[ARTIFACT] = cached;
  }
}
