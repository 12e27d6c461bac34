'use strict';
// The post-login api beyond claims, deny, metadata and cache (AUTH0.md §4): MFA, redirects with
// onContinuePostLogin, session tokens, transaction / session / refresh-token metadata, SAML.

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { createApi, runLogin } = require('../emulator');
const { encodeHs256 } = require('../lib/jwt');
const { NON_INTERACTIVE_PROTOCOLS } = require('../lib/redirect');

const action = (onExecutePostLogin, onContinuePostLogin) => ({ onExecutePostLogin, onContinuePostLogin });
const USER_ID = 'auth0|abc123';
const HOST = 'tenant.example.test';
const event = (extra = {}) => ({
  user: { user_id: USER_ID },
  request: { hostname: HOST, query: {}, body: {} },
  transaction: { protocol: 'oidc-basic-profile', prompt: [] },
  ...extra,
});
const names = (calls) => calls.map((call) => call.api);

/** A clock the test moves by hand. */
function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms) => { now += ms; } };
}

describe('multifactor.enable', () => {
  for (const provider of ['any', 'duo', 'google-authenticator', 'guardian', 'none']) {
    test(`accepts the provider ${provider} and returns the api`, () => {
      const { api, state } = createApi();
      assert.equal(api.multifactor.enable(provider, { allowRememberBrowser: true }), api);
      assert.deepEqual(state.multifactor, { provider, allowRememberBrowser: true });
    });
  }

  test('a factor name is refused with a pointer to challengeWith; the call is recorded', () => {
    const { api, calls, state } = createApi();
    assert.throws(() => api.multifactor.enable('otp'), /unknown provider.*challengeWith\(\{ type: "otp" \}\)/);
    assert.throws(() => api.multifactor.enable('sms'), /challengeWith\(\{ type: "phone" \}\)/);
    assert.throws(() => api.multifactor.enable('guardain'), /expected one of any, duo, google-authenticator, guardian, none$/);
    assert.deepEqual(names(calls), ['multifactor.enable', 'multifactor.enable', 'multifactor.enable']);
    assert.ok(calls.every((call) => call.error));
    assert.equal(state.multifactor, null);
  });

  test('options are checked: allowRememberBrowser a boolean, providerOptions only for duo and complete', () => {
    const { api, state } = createApi();
    assert.throws(() => api.multifactor.enable('any', { allowRememberBrowser: 'yes' }), /boolean/);
    assert.throws(() => api.multifactor.enable('guardian', { providerOptions: { ikey: 'i', skey: 's', host: 'h' } }), /duo provider only/);
    assert.throws(() => api.multifactor.enable('duo', { providerOptions: { ikey: 'i', host: 'h' } }), /providerOptions.skey/);
    api.multifactor.enable('duo', { providerOptions: { ikey: 'i', skey: 'duo-secret-key', host: 'api.duo.test' } });
    assert.deepEqual(state.multifactor, { provider: 'duo', allowRememberBrowser: false }, 'the duo secret key is not kept');
  });
});

describe('authentication: challenges, enrollment, methods, primary user', () => {
  test('challengeWith records the default factor then the additional ones; returns undefined like Auth0', () => {
    const { api, state } = createApi();
    const returned = api.authentication.challengeWith({ type: 'otp' }, { additionalFactors: [{ type: 'phone', options: { preferredMethod: 'sms' } }, { type: 'email' }] });
    assert.equal(returned, undefined);
    assert.deepEqual(state.mfa, [{ method: 'challengeWith', factors: [{ type: 'otp' }, { type: 'phone', options: { preferredMethod: 'sms' } }, { type: 'email' }] }]);
  });

  test('factor selectors are validated per method (enrollment has no email)', () => {
    const { api } = createApi();
    assert.throws(() => api.authentication.challengeWith({ type: 'sms' }), /type one of otp, email, phone/);
    assert.throws(() => api.authentication.challengeWith('otp'), /a factor is \{ type, options\? \}/);
    assert.throws(() => api.authentication.challengeWith({ type: 'phone', options: { preferredMethod: 'fax' } }), /preferredMethod/);
    assert.throws(() => api.authentication.challengeWith({ type: 'push', options: { otpFallback: 'no' } }), /otpFallback/);
    assert.throws(() => api.authentication.challengeWithAny([]), /non-empty array/);
    assert.throws(() => api.authentication.enrollWith({ type: 'email' }), /type one of otp, phone/);
    assert.throws(() => api.authentication.enrollWithAny([{ type: 'otp' }, { type: 'email' }]));
    api.authentication.enrollWithAny([{ type: 'otp' }, { type: 'webauthn-platform' }]);
  });

  test('a challenge none of whose factors the user enrolled fails the login; one that matches passes', async () => {
    const challenge = action(async (e, api) => { api.authentication.challengeWithAny([{ type: 'otp' }, { type: 'push' }]); });
    const none = await runLogin(challenge, event({ user: { user_id: USER_ID, enrolledFactors: [{ type: 'email' }] } }));
    assert.equal(none.outcome, 'error');
    assert.match(none.reason, /enrolled none of the requested factors \(otp, push\)/);
    const push = await runLogin(challenge, event({ user: { user_id: USER_ID, enrolledFactors: [{ type: 'push-notification' }] } }));
    assert.equal(push.outcome, 'ok', push.reason);
    const unknown = await runLogin(challenge, event());
    assert.equal(unknown.outcome, 'ok', 'an event without enrolledFactors says nothing either way');
  });

  test('recordMethod only in onContinuePostLogin, with an http(s) URL', async () => {
    const { api } = createApi();
    assert.throws(() => api.authentication.recordMethod('https://mfa.example.test'), /only available in onContinuePostLogin/);
    const result = await runLogin(action(
      async (e, a) => { a.redirect.sendUserTo('https://mfa.example.test/start'); },
      async (e, a) => {
        assert.throws(() => a.authentication.recordMethod('mailto:x@example.test'), /http: or https: URL/);
        assert.equal(a.authentication.recordMethod('https://mfa.example.test'), a);
      },
    ), event(), { continueWith: {} });
    assert.equal(result.outcome, 'ok', result.reason);
    assert.deepEqual(result.emulated.state.recordedMethods, ['https://mfa.example.test']);
  });

  test('setPrimaryUser records the user id and refuses anything else', () => {
    const { api, state } = createApi();
    assert.throws(() => api.authentication.setPrimaryUser(''), /non-empty string/);
    api.authentication.setPrimaryUser('auth0|primary');
    assert.equal(state.primaryUser, 'auth0|primary');
  });
});

describe('redirect.sendUserTo and canRedirect', () => {
  test('sendUserTo builds the target with the query and a state, and the login stays ok with the redirect pending', async () => {
    const result = await runLogin(action(async (e, api) => {
      assert.equal(api.redirect.canRedirect(), true);
      assert.equal(api.redirect.sendUserTo('https://consent.example.test/form?x=1', { query: { lang: 'de', next: 'a b' } }), api);
    }), event());
    assert.equal(result.outcome, 'ok', result.reason);
    const target = new URL(result.redirect.location);
    assert.equal(target.origin + target.pathname, 'https://consent.example.test/form');
    assert.equal(target.searchParams.get('x'), '1');
    assert.equal(target.searchParams.get('lang'), 'de');
    assert.equal(target.searchParams.get('next'), 'a b');
    assert.equal(target.searchParams.get('state'), result.redirect.state);
    assert.match(result.redirect.state, /^emulated-state-/);
    assert.deepEqual(names(result.calls), ['redirect.canRedirect', 'redirect.sendUserTo']);
    assert.equal(result.continued, false);
  });

  test('sendUserTo refuses a relative or non-http URL and non-string query values', () => {
    const { api, state } = createApi({ event: event() });
    for (const url of ['/consent', 'javascript:alert(1)', 'ftp://files.example.test/', 42]) {
      assert.throws(() => api.redirect.sendUserTo(url), /absolute http: or https: URL|must be a string/, String(url));
    }
    assert.throws(() => api.redirect.sendUserTo('https://x.example.test', { query: { n: 1 } }), /query parameter "n" must be a string/);
    assert.throws(() => api.redirect.sendUserTo('https://x.example.test', { query: ['a'] }), /object of strings/);
    assert.equal(state.redirect, null);
  });

  const noBrowser = [
    ...[...NON_INTERACTIVE_PROTOCOLS].map((protocol) => [`protocol ${protocol}`, { transaction: { protocol } }]),
    ['prompt=none in the transaction', { transaction: { protocol: 'oidc-basic-profile', prompt: ['none'] } }],
    ['prompt=none in the authorize query', { request: { hostname: HOST, query: { prompt: 'none' }, body: {} } }],
  ];
  for (const [label, fields] of noBrowser) {
    test(`${label}: canRedirect() is false and sendUserTo fails the login with interaction_required`, async () => {
      const result = await runLogin(action(async (e, api) => {
        assert.equal(api.redirect.canRedirect(), false);
        api.redirect.sendUserTo('https://consent.example.test/');
      }), event(fields));
      assert.equal(result.outcome, 'error');
      assert.match(result.reason, /^interaction_required: redirect\.sendUserTo: /);
      assert.equal(result.redirect, null);
    });
  }

  test('a deny wins over a redirect: the login is denied and nobody is redirected', async () => {
    const result = await runLogin(action(async (e, api) => {
      api.redirect.sendUserTo('https://consent.example.test/');
      api.access.deny('no');
    }), event(), { continueWith: {} });
    assert.equal(result.outcome, 'denied');
    assert.equal(result.redirect, null);
    assert.equal(result.continued, false);
  });
});

describe('redirect tokens', () => {
  const SECRET = 'shared-redirect-secret';
  const decode = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

  test('encodeToken is a real HS256 JWT: iss and sub from the login, iat/exp (900 s by default), the payload', () => {
    const clock = manualClock();
    const { api } = createApi({ now: clock.now, event: event() });
    const token = api.redirect.encodeToken({ secret: SECRET, payload: { purpose: 'consent' } });
    const [header, body, signature] = token.split('.');
    assert.deepEqual(JSON.parse(Buffer.from(header, 'base64url')), { alg: 'HS256', typ: 'JWT' });
    const expected = crypto.createHmac('sha256', SECRET).update(`${header}.${body}`).digest('base64url');
    assert.equal(signature, expected);
    const iat = Math.floor(clock.now() / 1000);
    assert.deepEqual(decode(token), { iss: HOST, sub: USER_ID, purpose: 'consent', iat, exp: iat + 900 });
    assert.equal(decode(api.redirect.encodeToken({ secret: SECRET, payload: {}, expiresInSeconds: 60 })).exp, iat + 60);
  });

  test('encodeToken refuses a missing secret, a non-object payload and a bad lifetime', () => {
    const { api } = createApi({ event: event() });
    assert.throws(() => api.redirect.encodeToken({ payload: {} }), /secret/);
    assert.throws(() => api.redirect.encodeToken({ secret: SECRET, payload: 'x' }), /payload/);
    assert.throws(() => api.redirect.encodeToken({ secret: SECRET, payload: {}, expiresInSeconds: 0 }), /expiresInSeconds/);
  });

  /** Redirect, come back with a token the target signed (claims over sensible defaults). */
  async function comeBack({ claims = {}, secret = SECRET, where = 'query', parameter = 'session_token', tokenParameterName, now } = {}) {
    let validated;
    let failure;
    const redirecting = action(
      async (e, api) => { api.redirect.sendUserTo('https://consent.example.test/'); },
      async (e, api) => {
        try {
          validated = api.redirect.validateToken({ secret: SECRET, tokenParameterName });
        } catch (error) {
          failure = error.message;
          throw error;
        }
      },
    );
    const clock = now || manualClock();
    const result = await runLogin(redirecting, event(), {
      api: createApi({ now: clock.now }),
      continueWith: (redirect) => {
        const iat = Math.floor(clock.now() / 1000);
        const token = encodeHs256({ iss: HOST, sub: USER_ID, state: redirect.state, iat, exp: iat + 60, ...claims }, secret);
        return { [where]: { [parameter]: token } };
      },
    });
    return { result, validated, failure };
  }

  test('validateToken returns the claims of a good token from the query or the body', async () => {
    const fromQuery = await comeBack({ claims: { accepted: true } });
    assert.equal(fromQuery.result.outcome, 'ok', fromQuery.result.reason);
    assert.equal(fromQuery.validated.accepted, true);
    assert.equal(fromQuery.result.continued, true);
    const fromBody = await comeBack({ where: 'body', parameter: 'consent_token', tokenParameterName: 'consent_token' });
    assert.equal(fromBody.result.outcome, 'ok', fromBody.result.reason);
    assert.equal(fromBody.validated.sub, USER_ID);
  });

  const refusals = [
    ['a wrong secret', { secret: 'another-secret' }, /invalid: invalid signature/],
    ['an expired token', { claims: { exp: 1 } }, /invalid: the token has expired/],
    ['a missing state', { claims: { state: undefined } }, /Missing or invalid standard claims/],
    ['a missing iat', { claims: { iat: undefined } }, /Missing or invalid standard claims/],
    ['another state', { claims: { state: 'someone-else' } }, /State in the token does not match the \/continue state/],
    ['another subject', { claims: { sub: 'auth0|mallory' } }, /Subject in the token does not match/],
    ['no token under the name', { parameter: 'token' }, /missing: no "session_token" parameter/],
  ];
  for (const [label, options, message] of refusals) {
    test(`validateToken throws on ${label}, and the throw denies the login`, async () => {
      const { result, failure } = await comeBack(options);
      assert.match(failure, message);
      assert.equal(result.outcome, 'denied');
      assert.equal(result.deniedBy, 'throw');
    });
  }

  test('a token with alg "none" is refused, not trusted', async () => {
    const { api } = createApi({ event: event() });
    const forged = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
    const redirecting = action(
      async (e, a) => { a.redirect.sendUserTo('https://consent.example.test/'); },
      async (e, a) => { a.redirect.validateToken({ secret: SECRET }); },
    );
    const result = await runLogin(redirecting, event(), { continueWith: { query: { session_token: forged } } });
    assert.match(result.reason, /unexpected signing algorithm/);
    assert.throws(() => api.redirect.validateToken({ secret: SECRET }), /only available in onContinuePostLogin/);
  });
});

describe('onContinuePostLogin', () => {
  test('runs with the returning request, the transaction metadata and the claims set before the redirect', async () => {
    let seen;
    const result = await runLogin(action(
      async (e, api) => {
        api.transaction.setMetadata('step', 1);
        api.accessToken.setCustomClaim('https://example.test/before', true);
        api.redirect.sendUserTo('https://consent.example.test/');
      },
      async (e, api) => {
        seen = e;
        api.idToken.setCustomClaim('https://example.test/after', e.request.query.answer);
      },
    ), event({ transaction: { protocol: 'oidc-basic-profile', metadata: { earlier: 'x' } } }), { continueWith: { query: { answer: 'yes' } } });
    assert.equal(result.outcome, 'ok', result.reason);
    assert.equal(seen.request.method, 'GET');
    assert.deepEqual(seen.request.query, { answer: 'yes', state: result.redirects[0].state });
    assert.deepEqual(seen.transaction.metadata, { earlier: 'x', step: 1 });
    assert.deepEqual(result.claims, { accessToken: { 'https://example.test/before': true }, idToken: { 'https://example.test/after': 'yes' } });
    assert.deepEqual(result.calls.map((call) => [call.api, call.phase]), [
      ['transaction.setMetadata', undefined],
      ['accessToken.setCustomClaim', undefined],
      ['redirect.sendUserTo', undefined],
      ['idToken.setCustomClaim', 'continue'],
    ]);
    assert.equal(result.redirect, null, 'nothing pending after the continuation');
  });

  test('a body makes it a POST; a state other than the transaction\'s loses the transaction', async () => {
    let method;
    const redirecting = action(
      async (e, api) => { api.redirect.sendUserTo('https://consent.example.test/'); },
      async (e) => { method = e.request.method; },
    );
    const posted = await runLogin(redirecting, event(), { continueWith: { body: { answer: 'yes' } } });
    assert.equal(posted.outcome, 'ok', posted.reason);
    assert.equal(method, 'POST');
    const lost = await runLogin(redirecting, event(), { continueWith: { query: { state: 'forged' } } });
    assert.equal(lost.outcome, 'error');
    assert.match(lost.reason, /^invalid_request: /);
  });

  test('an Action that redirects without onContinuePostLogin fails when the user comes back', async () => {
    const result = await runLogin(action(async (e, api) => { api.redirect.sendUserTo('https://x.example.test/'); }), event(), { continueWith: {} });
    assert.equal(result.outcome, 'error');
    assert.match(result.reason, /does not export an onContinuePostLogin function/);
  });

  test('onContinuePostLogin has its own time budget', async () => {
    const result = await runLogin(action(
      async (e, api) => { api.redirect.sendUserTo('https://x.example.test/'); },
      () => new Promise(() => {}),
    ), event(), { continueWith: {}, timeoutMs: 100 });
    assert.equal(result.outcome, 'error');
    assert.match(result.reason, /did not finish within 100 ms/);
  });
});

describe('transaction metadata', () => {
  test('string, number and boolean values are visible at once in event.transaction.metadata; null removes', async () => {
    const seen = [];
    const result = await runLogin(action(async (e, api) => {
      api.transaction.setMetadata('hello', 'Auth0');
      api.transaction.setMetadata('n', 3).transaction.setMetadata('ok', true);
      seen.push({ ...e.transaction.metadata });
      api.transaction.setMetadata('hello', null);
      seen.push({ ...e.transaction.metadata });
    }), event());
    assert.equal(result.outcome, 'ok', result.reason);
    assert.deepEqual(seen, [{ hello: 'Auth0', n: 3, ok: true }, { n: 3, ok: true }]);
    assert.deepEqual(result.emulated.state.transactionMetadata, { hello: null, n: 3, ok: true });
  });

  test('objects and arrays are refused (serialize them)', () => {
    const { api } = createApi({ event: event() });
    assert.throws(() => api.transaction.setMetadata('o', { a: 1 }), /string, a number or a boolean/);
    assert.throws(() => api.transaction.setMetadata('a', [1]), /string, a number or a boolean/);
    assert.throws(() => api.transaction.setMetadata('', 'x'), /key/);
  });
});

describe('session and refreshToken (Enterprise)', () => {
  test('expiry setters keep the earliest time', () => {
    const { api, state } = createApi();
    api.session.setExpiresAt(2_000);
    api.session.setExpiresAt(3_000);
    api.session.setIdleExpiresAt(900);
    api.refreshToken.setExpiresAt(5_000);
    api.refreshToken.setExpiresAt(4_000);
    assert.equal(state.session.expiresAt, 2_000);
    assert.equal(state.session.idleExpiresAt, 900);
    assert.equal(state.refreshToken.expiresAt, 4_000);
    assert.throws(() => api.session.setExpiresAt('tomorrow'), /positive number/);
  });

  test('metadata: set, delete, evict; refresh-token limits (25 entries, 255 characters, key charset)', () => {
    const { api, state } = createApi();
    api.session.setMetadata('deviceName', "Auth0's iPhone");
    api.session.deleteMetadata('old');
    assert.deepEqual(state.session.metadata, { deviceName: "Auth0's iPhone", old: null });
    api.session.evictMetadata();
    assert.deepEqual(state.session.metadata, {});
    assert.equal(state.session.metadataEvicted, true);
    assert.throws(() => api.refreshToken.setMetadata('bad key', 'v'), /letters, digits/);
    assert.throws(() => api.refreshToken.setMetadata('k', 'x'.repeat(256)), /255 characters/);
    assert.throws(() => api.refreshToken.setMetadata('k', 1), /must be a string/);
    for (let i = 0; i < 25; i += 1) api.refreshToken.setMetadata(`k${i}`, 'v');
    assert.throws(() => api.refreshToken.setMetadata('k25', 'v'), /at most 25 entries/);
    api.refreshToken.setMetadata('k0', 'replaced');
  });

  test('session.revoke denies the login; refreshToken.revoke only in a refresh token exchange, and denies it', async () => {
    const session = await runLogin(action(async (e, api) => { api.session.revoke('stolen device', { preserveRefreshTokens: true }); }), event());
    assert.equal(session.outcome, 'denied');
    assert.equal(session.reason, 'stolen device');
    assert.deepEqual(session.emulated.state.session.revoked, { reason: 'stolen device', preserveRefreshTokens: true });

    const outside = await runLogin(action(async (e, api) => { api.refreshToken.revoke('nope'); }), event());
    assert.equal(outside.outcome, 'denied');
    assert.equal(outside.deniedBy, 'throw');
    assert.match(outside.reason, /only during a refresh token exchange/);

    const exchange = await runLogin(action(async (e, api) => { api.refreshToken.revoke('rotated'); }), event({ transaction: { protocol: 'oauth2-refresh-token' } }));
    assert.equal(exchange.outcome, 'denied');
    assert.equal(exchange.deniedBy, 'api');
    assert.deepEqual(exchange.emulated.state.denied, { reason: 'rotated', by: 'refreshToken.revoke' });
  });
});

describe('samlResponse and rules', () => {
  test('attributes take scalars, arrays of scalars or null; settings are type-checked', () => {
    const { api, state, calls } = createApi();
    api.samlResponse.setAttribute('http://schemas.example.test/role', ['admin', 'dev']);
    api.samlResponse.setAttribute('gone', null);
    assert.throws(() => api.samlResponse.setAttribute('x', { nested: true }), /string, number, boolean, null or an array/);
    api.samlResponse.setLifetimeInSeconds(600);
    api.samlResponse.setSignatureAlgorithm('rsa-sha256');
    assert.throws(() => api.samlResponse.setSignatureAlgorithm('md5'), /one of rsa-sha256, rsa-sha1/);
    assert.throws(() => api.samlResponse.setSignResponse('yes'), /a boolean/);
    assert.deepEqual(state.samlResponse, {
      attributes: { 'http://schemas.example.test/role': ['admin', 'dev'], gone: null },
      settings: { lifetimeInSeconds: 600, signatureAlgorithm: 'rsa-sha256' },
    });
    assert.equal(calls[0].api, 'samlResponse.setAttribute');
  });

  test('rules.wasExecuted is false: the emulator runs no Rules', () => {
    const { api } = createApi();
    assert.equal(api.rules.wasExecuted('rul_123'), false);
  });
});

describe('claims against the requested audience', () => {
  test('without an audience option, the event\'s resource_server decides the Auth0-API rule', async () => {
    const result = await runLogin(action(async (e, api) => { api.accessToken.setCustomClaim('plan', 'gold'); }),
      event({ resource_server: { identifier: `https://${HOST}/api/v2/` } }));
    assert.deepEqual(result.claims.accessToken, {});
    assert.deepEqual(result.emulated.state.accessToken.droppedClaims, ['plan']);
  });
});
