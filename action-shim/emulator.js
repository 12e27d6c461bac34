'use strict';
/**
 * A local emulator of the Auth0 post-login Actions runtime (trigger post-login v3), just large
 * enough to run one Action file the way Auth0 does and to record what it asked for.
 *
 *   const { createApi, runLogin } = require('./emulator');
 *   const result = await runLogin(require('./my-action.js'), event, { secrets });
 *   result.outcome   // 'ok' | 'denied' | 'error'
 *   result.calls     // [{ api: 'accessToken.setCustomClaim', args: [name, value] }, …] in call order
 *
 * Semantics follow /work/shared/AUTH0.md (§1 execution, §2 limits, §4 api, §5 claim rules).
 * Implemented so far: accessToken.{setCustomClaim, addScope, removeScope}, idToken.setCustomClaim,
 * access.deny, user.{setAppMetadata, setUserMetadata}, cache.{get, set, delete}. Anything else on
 * the real api is absent on purpose: an Action that uses it fails loudly here instead of passing.
 */

const LIMITS = require('./lib/limits');
const { claimFate, claimsByteSize } = require('./lib/claims');
const { createCache } = require('./lib/cache');
const { startOutputCapture } = require('./lib/output-capture');

// addScope/removeScope reject what can never be a scope token (RFC 6749 §3.3 forbids spaces).
function assertValidScope(method, scope) {
  if (typeof scope !== 'string') throw new TypeError(`${method}: scope must be a string`);
  if (scope.length === 0) throw new Error(`${method}: scope must not be empty`);
  if (/\s/.test(scope)) throw new Error(`${method}: scope must not contain whitespace`);
  if (scope.length > LIMITS.scopeMaxChars) throw new Error(`${method}: scope must be at most ${LIMITS.scopeMaxChars} characters`);
}

/**
 * Build a fresh post-login `api` for one login, plus the record of what the Action did with it.
 *
 * @param {object} [options]
 * @param {() => number} [options.now=Date.now]  clock for api.cache expiry (inject to test TTLs)
 * @param {Map} [options.cache]  backing store of api.cache; pass the same Map to several logins
 *                               to emulate a warm instance, or a fresh one (default) for a cold one
 * @param {string} [options.audience]  the requested audience; only used for the rule that drops
 *                                     non-namespaced access-token claims for Auth0's own APIs
 * @returns {{
 *   api: object,        // hand this to onExecutePostLogin
 *   calls: Array<{api: string, args: any[], error?: string}>,  // every call, in order; `error` if it threw
 *   state: {
 *     accessToken: { claims: object, droppedClaims: string[], scopesAdded: string[], scopesRemoved: string[] },
 *     idToken: { claims: object, droppedClaims: string[] },
 *     appMetadata: object, userMetadata: object,   // pending updates; a null value removes the key
 *     denied: null | { reason: any },               // set by the first api.access.deny
 *   },
 *   cache: Map,         // the store behind api.cache
 * }}
 */
function createApi({ now = Date.now, cache = new Map(), audience } = {}) {
  const calls = [];
  const state = {
    accessToken: { claims: {}, droppedClaims: [], scopesAdded: [], scopesRemoved: [] },
    idToken: { claims: {}, droppedClaims: [] },
    appMetadata: {},
    userMetadata: {},
    denied: null,
  };
  const api = {};

  // Every api method goes through here so the call is recorded even when it throws.
  // Methods are closures (no `this`), so an Action may call them detached, as it can on Auth0.
  function recorded(name, implementation) {
    return (...args) => {
      const call = { api: name, args };
      calls.push(call);
      try {
        return implementation(...args);
      } catch (error) {
        call.error = error && error.message;
        throw error;
      }
    };
  }

  function setCustomClaim(token) {
    return (name, value) => {
      const fate = claimFate(token, name, { audience });
      if (fate === 'throw') {
        if (typeof name !== 'string') throw new TypeError('setCustomClaim: claim name must be a string');
        throw new Error(`setCustomClaim: the claim "${name}" is restricted and cannot be set`);
      }
      if (fate === 'drop') state[token].droppedClaims.push(name); // Auth0 drops these silently
      else state[token].claims[name] = value;
      return api; // Auth0's api methods return the api object
    };
  }

  function setMetadata(target, method) {
    return (key, value) => {
      if (typeof key !== 'string' || key.length === 0) throw new TypeError(`${method}: key must be a non-empty string`);
      state[target][key] = value === undefined ? null : value;
      return api;
    };
  }

  const cacheApi = createCache({ store: cache, now });

  api.accessToken = {
    setCustomClaim: recorded('accessToken.setCustomClaim', setCustomClaim('accessToken')),
    addScope: recorded('accessToken.addScope', (scope) => {
      assertValidScope('addScope', scope);
      state.accessToken.scopesAdded.push(scope);
      return api;
    }),
    removeScope: recorded('accessToken.removeScope', (scope) => {
      assertValidScope('removeScope', scope);
      state.accessToken.scopesRemoved.push(scope);
      return api;
    }),
  };
  api.idToken = {
    setCustomClaim: recorded('idToken.setCustomClaim', setCustomClaim('idToken')),
  };
  api.access = {
    deny: recorded('access.deny', (reason) => {
      if (!state.denied) state.denied = { reason };
      return api;
    }),
  };
  api.user = {
    setAppMetadata: recorded('user.setAppMetadata', setMetadata('appMetadata', 'setAppMetadata')),
    setUserMetadata: recorded('user.setUserMetadata', setMetadata('userMetadata', 'setUserMetadata')),
  };
  api.cache = {
    get: recorded('cache.get', (key) => cacheApi.get(key)),
    set: recorded('cache.set', (key, value, options) => cacheApi.set(key, value, options)),
    delete: recorded('cache.delete', (key) => cacheApi.delete(key)),
  };

  return { api, calls, state, cache };
}

// Auth0 hands the Action a freshly deserialized event, so the Action can never mutate the
// caller's fixture; a JSON round trip gives the same isolation and the same value domain.
function toWireEvent(event, secrets) {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new TypeError('runLogin: event must be an object');
  }
  for (const [name, value] of Object.entries(secrets)) {
    if (typeof value !== 'string') throw new TypeError(`runLogin: secret ${name} must be a string (Auth0 secrets are strings)`);
  }
  const wire = JSON.parse(JSON.stringify(event));
  wire.secrets = { ...secrets };
  return wire;
}

function messageOf(thrown) {
  return thrown instanceof Error ? thrown.message : String(thrown);
}

/**
 * Run one login through an Action the way Auth0 does: event.secrets set, onExecutePostLogin
 * awaited, an uncaught throw or rejection ending the login as denied with its message.
 *
 * Console output and process.stdout/stderr writes made by the Action (in its async context) are
 * captured and kept out of the real output (see lib/output-capture.js). The patching is
 * process-global, so run one login at a time.
 *
 * @param {{ onExecutePostLogin: Function }} action  the Action module (e.g. require(artifactPath))
 * @param {object} event  the post-login event, without secrets
 * @param {object} [options]
 * @param {Object<string,string>} [options.secrets={}]  becomes event.secrets
 * @param {ReturnType<typeof createApi>} [options.api]  a createApi() result to use (default: a new one)
 * @param {number} [options.timeoutMs=20000]  Auth0's trigger budget; tests pass less
 * @param {boolean} [options.captureOutput=true]
 * @returns {Promise<{
 *   outcome: 'ok'|'denied'|'error',
 *       // denied: api.access.deny was called, or the Action threw/rejected (Auth0: access_denied)
 *       // error:  the login failed for another reason (no handler, time budget, claims too large)
 *   reason: any,              // deny reason, thrown message, or what went wrong; undefined when ok
 *   deniedBy: 'api'|'throw'|undefined,
 *   threw: boolean, thrown: any,   // whether/what the Action threw or rejected with
 *   calls: Array<{api: string, args: any[], error?: string}>,
 *   claims: { accessToken: object, idToken: object },   // what would reach the tokens
 *   logs: { text: string, entries: Array<{stream: string, text: string}>, kept: string },
 *   ms: number,
 *   emulated: ReturnType<typeof createApi>,
 * }>}
 */
async function runLogin(action, event, { secrets = {}, api: emulated = createApi(), timeoutMs = LIMITS.timeBudgetMs, captureOutput = true } = {}) {
  if (!emulated || typeof emulated.api !== 'object' || !Array.isArray(emulated.calls)) {
    throw new TypeError('runLogin: options.api must be the object returned by createApi(), not its .api');
  }
  const wireEvent = toWireEvent(event, secrets);
  const started = performance.now();
  const capture = captureOutput ? startOutputCapture() : null;
  let threw = false;
  let thrown;
  let timedOut = false;
  let budgetTimer;
  let failure; // an outcome 'error' reason found before or after running

  try {
    if (!action || typeof action.onExecutePostLogin !== 'function') {
      failure = 'the Action does not export an onExecutePostLogin function';
    } else {
      // The executor runs the handler synchronously, so a synchronous throw becomes a rejection.
      const invoke = () => new Promise((resolve) => resolve(action.onExecutePostLogin(wireEvent, emulated.api)));
      const execution = (capture ? capture.run(invoke) : invoke())
        .catch((error) => { threw = true; thrown = error; });
      const budget = new Promise((resolve) => {
        budgetTimer = setTimeout(() => { timedOut = true; resolve(); }, timeoutMs);
      });
      await Promise.race([execution, budget]);
    }
  } finally {
    clearTimeout(budgetTimer);
    if (capture) capture.stop();
  }
  const ms = performance.now() - started;

  const { state } = emulated;
  let outcome = 'ok';
  let reason;
  let deniedBy;
  if (failure) {
    outcome = 'error';
    reason = failure;
  } else if (timedOut) {
    outcome = 'error';
    reason = `the Action did not finish within ${timeoutMs} ms`;
  } else if (state.denied) {
    outcome = 'denied';
    reason = state.denied.reason;
    deniedBy = 'api';
  } else if (threw) {
    outcome = 'denied';
    reason = messageOf(thrown);
    deniedBy = 'throw';
  } else {
    for (const token of ['accessToken', 'idToken']) {
      if (claimsByteSize(state[token].claims) > LIMITS.customClaimsMaxBytes) {
        outcome = 'error';
        reason = `custom claims on the ${token} exceed ${LIMITS.customClaimsMaxBytes} bytes`;
        break;
      }
    }
  }

  const text = capture ? capture.text() : '';
  return {
    outcome,
    reason,
    deniedBy,
    threw,
    thrown,
    calls: emulated.calls,
    claims: { accessToken: state.accessToken.claims, idToken: state.idToken.claims },
    logs: { text, entries: capture ? capture.entries : [], kept: text.slice(0, LIMITS.keptLogChars) },
    ms,
    emulated,
  };
}

module.exports = { createApi, runLogin, LIMITS };
