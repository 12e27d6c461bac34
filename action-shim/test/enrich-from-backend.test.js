'use strict';
/**
 * The contract of the enrich-from-backend Action, tested end to end: the Action under test runs in
 * the local Auth0 emulator and talks to real HTTP servers on 127.0.0.1.
 *
 * The Action under test is the file named by POSTLOGIN_ARTIFACT (the compiled artifact), or the
 * hand-written reference bench/baseline.js when that variable is unset.
 *
 * Every login also goes through assertNoLeaks(): no deny reason, recorded api argument or console /
 * stdout / stderr output may contain the client secret or the issued access token.
 */

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');
const { runLogin } = require('../emulator');
const { makeEvent, makeSecrets } = require('../lib/fixtures');
const { assertNoLeaks } = require('../lib/leaks');
const { startServers, startTlsProbe, unusedOrigin, randomId } = require('../lib/servers');

function resolveArtifact() {
  const fromEnv = process.env.POSTLOGIN_ARTIFACT;
  if (fromEnv === undefined) return path.join(__dirname, '..', 'bench', 'baseline.js');
  // Set but empty is a broken test script, not a request for the baseline.
  if (fromEnv.trim() === '') throw new Error('POSTLOGIN_ARTIFACT is set but empty');
  return path.resolve(fromEnv);
}

const ARTIFACT = resolveArtifact();
// The hand-written baseline does not retry; compiled Actions retry once by default.
const BASELINE = ARTIFACT.endsWith(path.join('bench', 'baseline.js'));
const action = require(ARTIFACT);

const CLAIM = 'http://test.org/extra_info';
const SECRET_NAMES = ['auth0_domain', 'client_id', 'client_secret', 'audience', 'backend_url'];
const TEST_TIMEOUT_MS = 5000;
const LOGIN_BUDGET_MS = 2500; // well below the test timeout, so a stuck Action fails with a clear reason
const MAX_REASON_CHARS = 200; // "short"

// ---------------------------------------------------------------------------------------------
// Harness

/** A test with its own pair of servers, always closed, and a per-test timeout. */
function scenario(name, body, serverOptions) {
  test(name, { timeout: TEST_TIMEOUT_MS }, async () => {
    const env = await startServers(serverOptions);
    // If the body ever hangs, closing the servers fails the pending requests and unwinds it.
    const watchdog = setTimeout(() => env.close(), TEST_TIMEOUT_MS - 250);
    try {
      await body(env);
    } finally {
      clearTimeout(watchdog);
      await env.close();
    }
  });
}

/**
 * Run one login through the Action under test and check secret hygiene on the way out.
 * `canary`: a line to log around the Action, proving the output capture was live during it.
 */
async function login(env, { user, event, secrets, canary } = {}) {
  const usedSecrets = secrets || makeSecrets(env);
  const actionToRun = canary
    ? { onExecutePostLogin: async (...args) => { console.log(canary); try { return await action.onExecutePostLogin(...args); } finally { process.stderr.write(`${canary}\n`); } } }
    : action;
  const result = await runLogin(actionToRun, event || makeEvent(user), { secrets: usedSecrets, timeoutMs: LOGIN_BUDGET_MS });
  assertNoLeaks(result, usedSecrets, [env.token.accessToken]);
  return result;
}


const claimCalls = (result) => result.calls.filter((call) => call.api.endsWith('.setCustomClaim'));
// Token reuse through api.cache is an allowed implementation detail (AUTH0.md §6), so call-order
// assertions ignore cache calls.
const effectCalls = (result) => result.calls.filter((call) => !call.api.startsWith('cache.')).map(({ api, args }) => ({ api, args }));

function assertLoginOkWithClaim(result, expectedValue) {
  assert.equal(result.outcome, 'ok', `login should proceed, got ${result.outcome}: ${result.reason}`);
  assert.deepEqual(effectCalls(result), [
    { api: 'accessToken.setCustomClaim', args: [CLAIM, expectedValue] },
    { api: 'idToken.setCustomClaim', args: [CLAIM, expectedValue] },
  ]);
}

function assertLoginOkWithoutClaims(result) {
  assert.equal(result.outcome, 'ok', `login should proceed, got ${result.outcome}: ${result.reason}`);
  assert.deepEqual(effectCalls(result), [], 'no claims, no deny');
}

/** Denied through api.access.deny (not a throw), no claims, a short reason matching `expected`. */
function assertDeniedWithoutClaims(result, ...expected) {
  assert.equal(result.outcome, 'denied', `login should be denied, got ${result.outcome}: ${result.reason}`);
  assert.equal(result.threw, false, `the Action must call api.access.deny and resolve, but it threw: ${result.thrown}`);
  assert.equal(result.calls.filter((call) => call.api === 'access.deny').length, 1, 'api.access.deny called exactly once');
  assert.deepEqual(claimCalls(result), [], 'no claims on a denied login');
  assert.equal(typeof result.reason, 'string', 'the deny reason is a string');
  assert.ok(result.reason.length > 0 && result.reason.length <= MAX_REASON_CHARS, `the deny reason is short: ${JSON.stringify(result.reason)}`);
  for (const pattern of expected) {
    if (pattern instanceof RegExp) assert.match(result.reason, pattern);
    else assert.ok(result.reason.includes(pattern), `the deny reason ${JSON.stringify(result.reason)} should contain ${JSON.stringify(pattern)}`);
  }
}

// ---------------------------------------------------------------------------------------------

describe(`enrich-from-backend contract — ${path.relative(process.cwd(), ARTIFACT) || ARTIFACT}`, () => {
  describe('enriches a user with a verified email', () => {
    scenario('POSTs one client-credentials request with a JSON body to {auth0_domain}/oauth/token', async (env) => {
      const secrets = makeSecrets(env);
      const result = await login(env, { secrets });
      assert.equal(result.outcome, 'ok', result.reason);
      assert.equal(env.token.requests.length, 1, 'exactly one token request');
      const [request] = env.token.requests;
      assert.equal(request.method, 'POST');
      assert.equal(request.url, '/oauth/token');
      assert.match(String(request.headers['content-type']), /^application\/json\b/i);
      assert.equal(request.bodyError, undefined, `the token request body is JSON: ${request.rawBody}`);
      assert.deepEqual(request.body, {
        client_id: secrets.client_id,
        client_secret: secrets.client_secret,
        audience: secrets.audience,
        grant_type: 'client_credentials',
      });
    });

    scenario('GETs /api/users/{email} with the issued bearer token, after the token request', async (env) => {
      const result = await login(env);
      assert.equal(result.outcome, 'ok', result.reason);
      assert.deepEqual(env.requests().map((request) => request.server), ['token', 'backend'], 'token first, then backend');
      const [request] = env.backend.requests;
      assert.equal(request.method, 'GET');
      // The exact percent-encoding is free ('@' may stay raw in a path); the decoded segment is not.
      assert.deepEqual(request.segments.slice(0, 2), ['api', 'users']);
      assert.equal(request.email, 'alice@example.com');
      assert.equal(request.headers.authorization, `Bearer ${env.token.accessToken}`);
    });

    scenario('sets the backend JSON answer as http://test.org/extra_info on the access token, then the ID token', async (env) => {
      const answer = { tier: 'gold', roles: ['reader', 'writer'], nested: { since: 2019, name: 'Ålice 用户' }, active: true, manager: null };
      env.backend.reply = { status: 200, json: answer };
      const result = await login(env);
      assertLoginOkWithClaim(result, answer);
      assert.deepEqual(result.claims.accessToken, { [CLAIM]: answer });
      assert.deepEqual(result.claims.idToken, { [CLAIM]: answer });
    });

    // What JSON.parse of the answer gives, member order included: a claim is what the
    // backend sent, not a re-sorted copy of it.
    scenario('passes the answer on as the backend wrote it: member order kept, whitespace no matter', async (env) => {
      const text = '{\n  "zone": "eu",\n  "account": { "plan": "pro", "limits": [10, 2.5, -1e3] },\n  "beta": true\n}\n';
      env.backend.reply = { status: 200, body: text, contentType: 'application/json' };
      const result = await login(env);
      const answer = JSON.parse(text);
      assertLoginOkWithClaim(result, answer);
      for (const token of ['accessToken', 'idToken']) {
        const claim = result.claims[token][CLAIM];
        assert.deepEqual(Object.keys(claim), ['zone', 'account', 'beta'], token);
        assert.deepEqual(Object.keys(claim.account), ['plan', 'limits'], token);
      }
    });

    const nonObjectAnswers = [
      ['an array', [{ id: 1 }, 'two', 3]],
      ['a string', 'gold'],
      ['the number 0', 0],
      ['false', false],
    ];
    for (const [label, answer] of nonObjectAnswers) {
      scenario(`sets a non-object JSON answer (${label}) as the claim value`, async (env) => {
        env.backend.reply = { status: 200, json: answer };
        assertLoginOkWithClaim(await login(env), answer);
      });
    }

    scenario('waits for a slow backend before resolving', async (env) => {
      env.backend.reply = { status: 200, delayMs: 300, json: { slow: true } };
      const result = await login(env);
      assertLoginOkWithClaim(result, { slow: true });
      assert.ok(result.ms >= 250, `the login resolved after ${result.ms} ms, before the backend answered`);
    });

    // The compiled Action decodes a warm instance's secrets once and reuses them while their
    // text is unchanged: a changed secret must still reach the very next login.
    scenario('a warm instance follows changed secrets: the next login calls the new backend_url', async (env) => {
      const secrets = makeSecrets(env);
      assertLoginOkWithClaim(await login(env, { secrets }), { email: 'alice@example.com', tier: 'gold' });
      const moved = await startServers({ backend: { reply: { status: 200, json: { moved: true } } } });
      try {
        assertLoginOkWithClaim(await login(env, { secrets: { ...secrets, backend_url: moved.backend.url } }), { moved: true });
        assert.equal(env.backend.requests.length, 1, 'only the first login called the old backend');
        assert.equal(moved.backend.requests.length, 1, 'the second login called the new backend');
      } finally {
        await moved.close();
      }
    });

    scenario('a process that ran a login can exit at once: no timer of the Action keeps it alive', async (env) => {
      // In a child process (the servers stay here): it must exit well before the Action's budget.
      const script = `
        const { createApi } = require(${JSON.stringify(path.join(__dirname, '..', 'emulator'))});
        const { api, state } = createApi();
        const event = { ...JSON.parse(process.env.EVENT), secrets: JSON.parse(process.env.SECRETS) };
        require(${JSON.stringify(ARTIFACT)}).onExecutePostLogin(event, api).then(() => console.log(JSON.stringify(state.accessToken.claims)));`;
      const childEnv = { ...process.env, EVENT: JSON.stringify(makeEvent()), SECRETS: JSON.stringify(makeSecrets(env)) };
      const started = performance.now();
      const stdout = await new Promise((resolve, reject) => {
        execFile(process.execPath, ['-e', script], { env: childEnv, timeout: 3000, encoding: 'utf8' }, (error, out) => (error ? reject(error) : resolve(out)));
      });
      assert.deepEqual(JSON.parse(stdout), { [CLAIM]: { email: 'alice@example.com', tier: 'gold' } });
      assert.ok(performance.now() - started < 3000);
    });

    scenario("reads none of the user's identities or metadata, which it does not use", async (env) => {
      // Called directly, not through the emulator (which sends the event as JSON, as Auth0
      // does): a Proxy sees every member of the user that is read.
      const { createApi } = require('../emulator');
      const { api, state } = createApi();
      const read = new Set();
      const user = new Proxy({ ...makeEvent().user, app_metadata: { plan: 'pro' }, user_metadata: { theme: 'dark' }, enrolledFactors: [{ type: 'otp' }] }, {
        get: (target, key, receiver) => (read.add(key), Reflect.get(target, key, receiver)),
      });
      await action.onExecutePostLogin({ ...makeEvent(), user, secrets: makeSecrets(env) }, api);
      assert.deepEqual(state.idToken.claims, { [CLAIM]: { email: 'alice@example.com', tier: 'gold' } });
      assert.ok(read.has('email'), 'the Proxy sees what is read');
      for (const key of ['identities', 'app_metadata', 'user_metadata', 'enrolledFactors']) assert.ok(!read.has(key), `user.${key} was read`);
    });

    scenario('sends the client secret only to the token endpoint', async (env) => {
      const secrets = makeSecrets(env);
      const result = await login(env, { secrets });
      assert.equal(result.outcome, 'ok', result.reason);
      assert.equal(env.backend.requests.length, 1);
      for (const request of env.backend.requests) {
        const seen = JSON.stringify({ url: request.url, headers: request.headers, body: request.rawBody });
        assert.ok(!seen.includes(secrets.client_secret), 'the backend received the client secret');
      }
    });
  });

  describe('reads auth0_domain as a host or an origin', () => {
    scenario('uses a full origin with a trailing slash as is, without doubling the slash', async (env) => {
      const result = await login(env, { secrets: makeSecrets(env, { auth0_domain: `${env.token.url}/` }) });
      assert.equal(result.outcome, 'ok', result.reason);
      assert.deepEqual(env.token.requests.map((request) => request.url), ['/oauth/token']);
    });

    for (const suffix of ['', '/']) {
      scenario(`reaches a bare host${suffix ? ' with a trailing slash' : ''} over https://`, async (env) => {
        const probe = await startTlsProbe();
        try {
          const result = await login(env, { secrets: makeSecrets(env, { auth0_domain: `${probe.host}${suffix}` }) });
          assert.ok(probe.connections.length >= 1, 'nothing connected to the bare host');
          assert.ok(probe.connections.every((connection) => connection.looksLikeTls), 'the bare host was not spoken to over TLS');
          // The probe hangs up: the token request fails, so the login is denied.
          assertDeniedWithoutClaims(result, /token endpoint/i);
          assert.equal(env.backend.requests.length, 0);
        } finally {
          await probe.close();
        }
      });
    }
  });

  describe('leaves some users alone and lets them log in', () => {
    const unenriched = [
      ['a user with no email', { email: undefined, email_verified: undefined }],
      ['a user whose email_verified is false', { email_verified: false }],
      ['a user whose email_verified is absent', { email_verified: undefined }],
    ];
    for (const [label, user] of unenriched) {
      scenario(`makes no request and sets no claim for ${label}`, async (env) => {
        const result = await login(env, { user });
        assertLoginOkWithoutClaims(result);
        assert.equal(env.requests().length, 0, 'no token and no backend request');
      });
    }

    scenario('sets no claim when the backend answers 404', async (env) => {
      env.backend.reply = { status: 404, json: { error: 'user not found' } };
      const result = await login(env);
      assertLoginOkWithoutClaims(result);
      assert.equal(env.token.requests.length, 1);
      assert.equal(env.backend.requests.length, 1);
    });
  });

  describe('denies the login on any other failure, with a short reason and no claims', () => {
    for (const status of [401, 403, 500]) {
      scenario(`token endpoint answers ${status}`, async (env) => {
        // The error body echoes the client secret: a reason built from the body would leak it.
        env.token.reply = (request) => ({
          status,
          json: { error: 'invalid_client', error_description: `rejected ${request.body && request.body.client_secret}` },
        });
        const result = await login(env);
        assertDeniedWithoutClaims(result, /token endpoint/i, String(status));
        assert.equal(env.backend.requests.length, 0, 'no backend call without a token');
      });
    }

    const badTokenAnswers = [
      ['has no access_token', { status: 200, json: { token_type: 'Bearer', expires_in: 86400 } }],
      ['has an empty access_token', { status: 200, json: { access_token: '', token_type: 'Bearer' } }],
      ['is not JSON', { status: 200, body: '<html>maintenance</html>', contentType: 'text/html' }],
    ];
    for (const [label, reply] of badTokenAnswers) {
      scenario(`token endpoint answer ${label}`, async (env) => {
        env.token.reply = reply;
        const result = await login(env);
        assertDeniedWithoutClaims(result, /token endpoint/i);
        assert.equal(env.backend.requests.length, 0, 'no backend call without a token');
      });
    }

    scenario('token endpoint unreachable', async (env) => {
      const result = await login(env, { secrets: makeSecrets(env, { auth0_domain: await unusedOrigin() }) });
      assertDeniedWithoutClaims(result, /token endpoint/i);
      assert.equal(env.backend.requests.length, 0);
    });

    for (const status of [500, 502, 503, 401, 403]) {
      scenario(`backend answers ${status}`, async (env) => {
        // The error body echoes the bearer token: a reason built from the body would leak it.
        env.backend.reply = (request) => ({ status, body: `failed for ${request.headers.authorization}` });
        const result = await login(env);
        assertDeniedWithoutClaims(result, /backend/i, String(status));
        // 502 and 503 are worth one retry (the policy's default); other errors are not.
        assert.equal(env.backend.requests.length, [502, 503].includes(status) && !BASELINE ? 2 : 1);
      });
    }

    scenario('backend answer is not JSON', async (env) => {
      env.backend.reply = { status: 200, body: '<html>oops</html>', contentType: 'text/html' };
      assertDeniedWithoutClaims(await login(env), /backend/i);
    });

    scenario('backend unreachable', async (env) => {
      const result = await login(env, { secrets: makeSecrets(env, { backend_url: await unusedOrigin() }) });
      assertDeniedWithoutClaims(result, /backend/i);
    });

    for (const name of SECRET_NAMES) {
      for (const [how, value] of [['missing', undefined], ['empty', '']]) {
        scenario(`secret ${name} ${how}`, async (env) => {
          const secrets = makeSecrets(env);
          if (value === undefined) delete secrets[name];
          else secrets[name] = value;
          const result = await login(env, { secrets });
          assertDeniedWithoutClaims(result, name);
          assert.equal(env.requests().length, 0, 'no request with an incomplete configuration');
        });
      }
    }

    const malformedEvents = [
      ['event.user is missing', (event) => { delete event.user; }],
      ['event.user.email_verified is the string "true"', (event) => { event.user.email_verified = 'true'; }],
      ['event.user.email_verified is the number 1', (event) => { event.user.email_verified = 1; }],
    ];
    for (const [label, corrupt] of malformedEvents) {
      scenario(`malformed event: ${label}`, async (env) => {
        const event = makeEvent();
        corrupt(event);
        const result = await login(env, { event });
        assertDeniedWithoutClaims(result, /event/i);
        assert.equal(env.requests().length, 0, 'no request for a malformed event');
      });
    }
  });

  describe('sends the email as exactly one percent-encoded path segment', () => {
    const emails = [
      'alice@example.com',
      'a+tag@example.com',
      'a/b@example.com',
      '../../admin@example.com',
      'what?now@example.com',
      'hash#tag@example.com',
      '100%real@example.com',
      '"quoted"@example.com',
      "o'brien@example.com",
      'john doe@example.com',
      'jürgen@bücher.de',
      '用户@例子.公司',
    ];
    for (const email of emails) {
      scenario(`backend receives ${JSON.stringify(email)} unchanged`, async (env) => {
        env.backend.reply = { status: 200, json: { found: true } };
        const result = await login(env, { user: { email } });
        assert.equal(env.backend.requests.length, 1, 'exactly one backend request');
        const [request] = env.backend.requests;
        assert.equal(request.query, '', `the email leaked into the query string: ${request.url}`);
        assert.ok(!request.url.includes('#'), `raw '#' in ${request.url}`);
        const segments = request.path.split('/').slice(1);
        assert.equal(segments.length, 3, `expected /api/users/<one segment>, got ${request.path}`);
        assert.deepEqual(segments.slice(0, 2), ['api', 'users']);
        assert.equal(request.emailError, undefined, `the segment does not percent-decode: ${request.path}`);
        assert.equal(request.email, email);
        assertLoginOkWithClaim(result, { found: true });
      });
    }
  });

  describe('keeps secrets out of reasons, api arguments and logs', () => {
    scenario('no login path writes the client secret or the access token anywhere', async (env) => {
      // login() checks every login; this test walks the paths that handle the token and the
      // secret, and proves the capture was live around the Action (a dead capture proves nothing).
      const issueToken = env.token.reply;
      const paths = [
        { token: issueToken, backend: { status: 200, json: { ok: 1 } } },
        { token: { status: 401, json: { error: 'invalid_client' } } },
        { token: { status: 200, json: { token_type: 'Bearer' } } },
        { token: issueToken, backend: { status: 500, body: 'down' } },
        { token: issueToken, backend: { status: 200, body: 'not json' } },
      ];
      const outcomes = [];
      for (const replies of paths) {
        env.token.reply = replies.token;
        if (replies.backend) env.backend.reply = replies.backend;
        const canary = `canary-${randomId()}`;
        const result = await login(env, { canary });
        // Logging is allowed (secrets excepted), so only the canaries around it are pinned.
        assert.ok(result.logs.text.startsWith(`${canary}\n`) && result.logs.text.endsWith(`${canary}\n`), 'the output capture was not live around the Action');
        outcomes.push(result.outcome);
      }
      assert.deepEqual(outcomes, ['ok', 'denied', 'denied', 'denied', 'denied']);
    });
  });
});
