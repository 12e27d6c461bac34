'use strict';
/**
 * The compiled examples/progressive-profile under the runtime emulator, both sides of the
 * redirect: a user without a favorite color is sent to the form with a token signed with
 * form_secret; the form answers through /continue with its own token; onContinuePostLogin stores
 * the answer in user metadata. Logins that cannot redirect, known colors and forged answers
 * store nothing (the Action's policy is on_error = "continue"). No output carries form_secret.
 * POSTLOGIN_PROGRESSIVE_ARTIFACT names the artifact.
 */

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { runLogin, createApi } = require('../emulator');
const { makeEvent } = require('../lib/fixtures');
const { encodeHs256, verifyHs256 } = require('../lib/jwt');
const { loadExampleArtifact } = require('../lib/example-artifact');
const { assertNoLeaks } = require('../lib/leaks');

const { action, skip } = loadExampleArtifact('POSTLOGIN_PROGRESSIVE_ARTIFACT', 'progressive-profile');
const FORM = 'https://forms.example.test/color';
const TIMEOUT_MS = 5000;

function secrets() {
  return { form_url: FORM, form_secret: `form-secret-${Math.random().toString(36).slice(2)}-0123456789` };
}

/** The form: checks the token it got, answers with its own, carrying the transaction's state. */
function formAnswering(formSecret, color, { signWith = formSecret } = {}) {
  return (pending) => {
    const asked = verifyHs256(pending.query.session_token, formSecret);
    const now = Math.floor(Date.now() / 1000);
    const answer = { iss: 'forms.example.test', sub: asked.sub, iat: now, exp: now + 60, state: pending.state, favorite_color: color };
    return { query: { session_token: encodeHs256(answer, signWith) } };
  };
}

async function login(event, used, options = {}) {
  const result = await runLogin(action, event, { secrets: used, timeoutMs: TIMEOUT_MS, ...options });
  assertNoLeaks(result, used, []);
  assert.ok(!result.logs.text.includes(used.form_secret), 'form_secret leaked into the output');
  return result;
}

describe('progressive-profile (compiled)', { skip }, () => {
  test('an unknown color sends the user to the form with a signed question', async () => {
    const used = secrets();
    const event = makeEvent();
    const result = await login(event, used);
    assert.equal(result.outcome, 'ok', result.reason);
    assert.equal(result.redirect.url, FORM);
    const asked = verifyHs256(result.redirect.query.session_token, used.form_secret);
    assert.equal(asked.sub, event.user.user_id);
    assert.equal(asked.ask, 'favorite_color');
    assert.equal(asked.exp - asked.iat, 600);
    assert.throws(() => verifyHs256(result.redirect.query.session_token, 'a-guess'));
  });

  test('the answer comes back through /continue and lands in user metadata', async () => {
    const used = secrets();
    const result = await login(makeEvent(), used, { continueWith: formAnswering(used.form_secret, 'teal') });
    assert.equal(result.outcome, 'ok', result.reason);
    assert.equal(result.continued, true);
    assert.deepEqual(result.emulated.state.userMetadata, { favorite_color: 'teal' });
    const continued = result.calls.filter((call) => call.phase === 'continue').map(({ api }) => api);
    assert.deepEqual(continued, ['redirect.validateToken', 'user.setUserMetadata']);
  });

  test('a forged answer stores nothing and the login goes on', async () => {
    const used = secrets();
    const continueWith = formAnswering(used.form_secret, 'red', { signWith: 'a-guess' });
    const result = await login(makeEvent(), used, { continueWith });
    assert.equal(result.outcome, 'ok', result.reason);
    assert.equal(result.continued, true);
    assert.deepEqual(result.emulated.state.userMetadata, {});
    assert.ok(result.logs.text.includes('redirect.validateToken failed'), result.logs.text);
  });

  test('the user, read whole, is checked member by member, and a bad one named (policy: continue)', async () => {
    const used = secrets();
    const cases = [
      [{ multifactor: ['guardian'] }, null],
      [{ multifactor: 'guardian' }, 'user.multifactor: expected an array, found a string'],
      [{ multifactor: ['guardian', 7] }, 'user.multifactor[1]: expected a string, found a number'],
      [{ user_id: 12345 }, 'user.user_id: expected a string, found a number'],
      [{ email_verified: 'yes' }, 'user.email_verified: expected a boolean, found a string'],
    ];
    for (const [user, message] of cases) {
      const result = await login(makeEvent(user), used);
      assert.equal(result.outcome, 'ok', result.reason);
      if (message === null) {
        assert.equal(result.redirect.url, FORM);
      } else {
        assert.equal(result.redirect, null);
        assert.ok(result.logs.text.includes(`progressive-profile: malformed event: ${message} (login continues`), result.logs.text);
      }
    }
  });

  test('a member of the user that cannot be read fails the login, named (policy: continue)', async () => {
    // Only a direct call can hand over a getter that throws (runLogin sends JSON, as Auth0 does).
    const used = secrets();
    const event = { ...makeEvent(), secrets: used };
    event.user = { ...event.user };
    Object.defineProperty(event.user, 'nickname', { get() { throw new Error('unreadable'); }, enumerable: true });
    const emulated = createApi({ event });
    const logged = [];
    const log = console.log;
    console.log = (...args) => logged.push(args.join(' '));
    try {
      await action.onExecutePostLogin(event, emulated.api);
    } finally {
      console.log = log;
    }
    assert.equal(emulated.state.redirect, null);
    assert.deepEqual(logged, ['progressive-profile: malformed event: user.nickname: not JSON (a cycle or a BigInt) (login continues without this Action)']);
  });

  test('logins with no browser, and users who answered already, are not redirected', async () => {
    const used = secrets();
    const refresh = makeEvent();
    refresh.transaction = { ...refresh.transaction, protocol: 'oauth2-refresh-token' };
    let result = await login(refresh, used);
    assert.equal(result.outcome, 'ok', result.reason);
    assert.equal(result.redirect, null);
    assert.deepEqual(result.calls.map(({ api }) => api), ['redirect.canRedirect']);

    result = await login(makeEvent({ user_metadata: { favorite_color: 'blue' } }), used);
    assert.equal(result.outcome, 'ok', result.reason);
    assert.deepEqual(result.calls, []);
  });
});
