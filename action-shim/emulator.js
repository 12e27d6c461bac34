'use strict';
/**
 * A local emulator of the Auth0 post-login Actions runtime (trigger post-login v3): it runs one
 * Action file the way Auth0 does and records what the Action asked for.
 *
 *   const { createApi, runLogin } = require('./emulator');
 *   const result = await runLogin(require('./my-action.js'), event, { secrets });
 *   result.outcome   // 'ok' | 'denied' | 'error'
 *   result.calls     // [{ api: 'accessToken.setCustomClaim', args: [name, value] }, …] in call order
 *
 * Semantics follow /work/shared/AUTH0.md (§1 execution, §2 limits, §4 api, §5 claim rules); the
 * whole §4 api is here: token claims and scopes, deny, user/app metadata, api.cache, MFA
 * (multifactor.enable, authentication.challengeWith…/enrollWith…), authentication.recordMethod /
 * setPrimaryUser, redirects (sendUserTo, encodeToken, validateToken, canRedirect) with
 * onContinuePostLogin, transaction metadata, session / refreshToken (Enterprise), samlResponse,
 * rules.wasExecuted. Anything else on the real api is absent on purpose: an Action that uses it
 * fails loudly here instead of passing.
 */

const LIMITS = require('./lib/limits');
const { claimFate, claimsByteSize } = require('./lib/claims');
const { createCache } = require('./lib/cache');
const { startOutputCapture } = require('./lib/output-capture');
const redirect = require('./lib/redirect');
const mfa = require('./lib/mfa');
const metadata = require('./lib/metadata');
const saml = require('./lib/saml');

// addScope/removeScope reject what can never be a scope token (RFC 6749 §3.3 forbids spaces).
function assertValidScope(method, scope) {
  if (typeof scope !== 'string') throw new TypeError(`${method}: scope must be a string`);
  if (scope.length === 0) throw new Error(`${method}: scope must not be empty`);
  if (/\s/.test(scope)) throw new Error(`${method}: scope must not contain whitespace`);
  if (scope.length > LIMITS.scopeMaxChars) throw new Error(`${method}: scope must be at most ${LIMITS.scopeMaxChars} characters`);
}

function assertHttpUrl(method, url) {
  let parsed;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new TypeError(`${method}: expected an absolute http: or https: URL`);
  }
}

// session / refreshToken expiry setters: "When called multiple times - the earliest expiration
// time will be used."
function earliest(method, current, value) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new TypeError(`${method}: expected a positive number (a time)`);
  return current === undefined ? value : Math.min(current, value);
}

function newLifetime() {
  // metadata holds this login's changes: a null value is a deleted key.
  return { expiresAt: undefined, idleExpiresAt: undefined, metadata: {}, metadataEvicted: false, revoked: null };
}

function newState() {
  return {
    accessToken: { claims: {}, droppedClaims: [], scopesAdded: [], scopesRemoved: [] },
    idToken: { claims: {}, droppedClaims: [] },
    appMetadata: {},
    userMetadata: {},
    denied: null,
    multifactor: null,
    mfa: [],
    recordedMethods: [],
    primaryUser: null,
    redirect: null,
    interactionRequired: null,
    transactionMetadata: {},
    session: newLifetime(),
    refreshToken: newLifetime(),
    samlResponse: { attributes: {}, settings: {} },
  };
}

const requestedAudience = (event) => event && event.resource_server && event.resource_server.identifier;

/**
 * Build a fresh post-login `api` for one login, plus the record of what the Action did with it.
 *
 * @param {object} [options]
 * @param {() => number} [options.now=Date.now]  clock for api.cache expiry and redirect tokens
 * @param {Map} [options.cache]  backing store of api.cache; pass the same Map to several logins
 *                               to emulate a warm instance, or a fresh one (default) for a cold one
 * @param {string} [options.audience]  the requested audience, for the rule that drops
 *                                     non-namespaced access-token claims for Auth0's own APIs
 *                                     (default: the event's resource_server.identifier)
 * @param {object} [options.event]  the event the api answers about (canRedirect, encodeToken,
 *                                  validateToken, transaction metadata); runLogin sets it
 * @returns {{
 *   api: object,        // hand this to onExecutePostLogin
 *   calls: Array<{api: string, args: any[], error?: string, phase?: 'continue'}>,  // every call,
 *                       // in order; `error` if it threw; phase 'continue' in onContinuePostLogin
 *   state: {
 *     accessToken: { claims: object, droppedClaims: string[], scopesAdded: string[], scopesRemoved: string[] },
 *     idToken: { claims: object, droppedClaims: string[] },
 *     appMetadata: object, userMetadata: object,   // pending updates; a null value removes the key
 *     denied: null | { reason: any, by?: string },  // set by the first deny (or a revoke: by)
 *     multifactor: null | { provider, allowRememberBrowser },   // the last multifactor.enable
 *     mfa: Array<{ method, factors: Array<{ type, options? }> }>, // challengeWith… / enrollWith…
 *     recordedMethods: string[], primaryUser: null | string,
 *     redirect: null | { url, query, state, location },  // the pending sendUserTo
 *     interactionRequired: null | string,   // sendUserTo where no redirect is possible
 *     transactionMetadata: object,          // changes; null removes
 *     session, refreshToken: { expiresAt, idleExpiresAt, metadata, metadataEvicted, revoked },
 *     samlResponse: { attributes: object, settings: object },
 *   },
 *   cache: Map,         // the store behind api.cache
 *   context: { event },               // what the api answers about (set by runLogin)
 *   continueApi: () => object,        // a new api for onContinuePostLogin, same record
 * }}
 */
function createApi({ now = Date.now, cache = new Map(), audience, event } = {}) {
  const shared = {
    calls: [],
    state: newState(),
    context: { event, continueState: undefined },
    now,
    audience,
    cacheApi: createCache({ store: cache, now }),
  };
  return {
    api: buildApi(shared, 'execute'),
    calls: shared.calls,
    state: shared.state,
    cache,
    context: shared.context,
    continueApi: () => buildApi(shared, 'continue'),
  };
}

function buildApi({ calls, state, context, now, audience, cacheApi }, phase) {
  const api = {};
  const continuing = phase === 'continue';

  // Every api method goes through here so the call is recorded even when it throws.
  // Methods are closures (no `this`), so an Action may call them detached, as it can on Auth0.
  function recorded(name, implementation) {
    return (...args) => {
      const call = { api: name, args };
      if (continuing) call.phase = 'continue';
      calls.push(call);
      try {
        return implementation(...args);
      } catch (error) {
        call.error = error && error.message;
        throw error;
      }
    };
  }

  // Documented as usable only after a redirect; a throw here makes misuse visible (inferred).
  function onlyWhenContinuing(method) {
    if (!continuing) throw new Error(`${method} is only available in onContinuePostLogin`);
  }

  function deny(reason, by) {
    if (!state.denied) state.denied = by ? { reason, by } : { reason };
  }

  function setCustomClaim(token) {
    return (name, value) => {
      const fate = claimFate(token, name, { audience: audience !== undefined ? audience : requestedAudience(context.event) });
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

  function lifetimeApi(name, store, { revokable }) {
    const method = (suffix) => `${name}.${suffix}`;
    return {
      setExpiresAt: recorded(method('setExpiresAt'), (absolute) => {
        store.expiresAt = earliest(method('setExpiresAt'), store.expiresAt, absolute);
      }),
      setIdleExpiresAt: recorded(method('setIdleExpiresAt'), (idle) => {
        store.idleExpiresAt = earliest(method('setIdleExpiresAt'), store.idleExpiresAt, idle);
      }),
      setMetadata: recorded(method('setMetadata'), (key, value) => {
        metadata.setLifetimeMetadata(method('setMetadata'), store.metadata, key, value);
      }),
      deleteMetadata: recorded(method('deleteMetadata'), (key) => {
        if (typeof key !== 'string' || key.length === 0) throw new TypeError(`${method('deleteMetadata')}: key must be a non-empty string`);
        store.metadata[key] = null;
      }),
      evictMetadata: recorded(method('evictMetadata'), () => {
        store.metadata = {};
        store.metadataEvicted = true;
      }),
      revoke: recorded(method('revoke'), (reason, options) => {
        revokable(reason, options);
        store.revoked = name === 'session'
          ? { reason, preserveRefreshTokens: Boolean(options && options.preserveRefreshTokens) }
          : { reason };
        deny(reason, method('revoke')); // both end the login as denied
      }),
    };
  }

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
      deny(reason);
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
  api.multifactor = {
    enable: recorded('multifactor.enable', (provider, options) => {
      state.multifactor = mfa.checkProvider(provider, options); // the last call wins (inferred)
      return api;
    }),
  };
  const mfaRequest = (method, check) => recorded(`authentication.${method}`, (...args) => {
    state.mfa.push({ method, factors: check(...args) });
  });
  api.authentication = {
    challengeWith: mfaRequest('challengeWith', (factor, options) => mfa.checkFactorWith('challengeWith', factor, options, mfa.CHALLENGE_FACTORS)),
    challengeWithAny: mfaRequest('challengeWithAny', (factors) => mfa.checkFactorList('challengeWithAny', factors, mfa.CHALLENGE_FACTORS)),
    enrollWith: mfaRequest('enrollWith', (factor, options) => mfa.checkFactorWith('enrollWith', factor, options, mfa.ENROLL_FACTORS)),
    enrollWithAny: mfaRequest('enrollWithAny', (factors) => mfa.checkFactorList('enrollWithAny', factors, mfa.ENROLL_FACTORS)),
    recordMethod: recorded('authentication.recordMethod', (providerUrl) => {
      onlyWhenContinuing('authentication.recordMethod');
      assertHttpUrl('authentication.recordMethod', providerUrl);
      state.recordedMethods.push(providerUrl);
      return api;
    }),
    setPrimaryUser: recorded('authentication.setPrimaryUser', (primaryUserId) => {
      if (typeof primaryUserId !== 'string' || primaryUserId.length === 0) {
        throw new TypeError('authentication.setPrimaryUser: primary_user_id must be a non-empty string');
      }
      state.primaryUser = primaryUserId;
    }),
  };
  api.redirect = {
    canRedirect: recorded('redirect.canRedirect', () => redirect.redirectBlocker(context.event) === undefined),
    sendUserTo: recorded('redirect.sendUserTo', (url, options) => {
      const target = redirect.redirectTarget(url, options);
      const blocker = redirect.redirectBlocker(context.event);
      // v3: no throw here; the login fails with interaction_required once the Action ends.
      if (blocker) state.interactionRequired = `redirect.sendUserTo: ${blocker}`;
      else state.redirect = target; // a later call replaces an earlier one (inferred)
      return api;
    }),
    encodeToken: recorded('redirect.encodeToken', (options) => redirect.encodeToken(options, { event: context.event, nowMs: now() })),
    validateToken: recorded('redirect.validateToken', (options) => {
      onlyWhenContinuing('redirect.validateToken');
      return redirect.validateToken(options, { event: context.event, expectedState: context.continueState, nowMs: now() });
    }),
  };
  api.transaction = {
    setMetadata: recorded('transaction.setMetadata', (key, value) => {
      metadata.setTransactionMetadata(state.transactionMetadata, key, value);
      const event = context.event;
      if (event) {
        // Documented: visible at once in event.transaction.metadata.
        if (!event.transaction || typeof event.transaction !== 'object') event.transaction = {};
        event.transaction.metadata = metadata.applyChanges(event.transaction.metadata, { [key]: state.transactionMetadata[key] });
      }
      return api;
    }),
  };
  api.session = lifetimeApi('session', state.session, {
    revokable: (reason, options) => {
      if (options !== undefined && (options === null || typeof options !== 'object')) throw new TypeError('session.revoke: options must be an object');
    },
  });
  api.refreshToken = lifetimeApi('refreshToken', state.refreshToken, {
    revokable: () => {
      const protocol = context.event && context.event.transaction && context.event.transaction.protocol;
      // Documented: only during a refresh token exchange. Throwing elsewhere is inferred.
      if (protocol !== 'oauth2-refresh-token') throw new Error('refreshToken.revoke: only during a refresh token exchange (transaction.protocol oauth2-refresh-token)');
    },
  });
  api.samlResponse = {
    setAttribute: recorded('samlResponse.setAttribute', (attribute, value) => {
      state.samlResponse.attributes[attribute] = saml.checkAttribute(attribute, value);
    }),
  };
  for (const method of saml.SAML_SETTINGS) {
    const setting = method[3].toLowerCase() + method.slice(4);
    api.samlResponse[method] = recorded(`samlResponse.${method}`, (value) => {
      state.samlResponse.settings[setting] = saml.checkSetting(method, value);
    });
  }
  api.rules = {
    // The emulator runs no Rules (deprecated; an Actions-only tenant has none).
    wasExecuted: recorded('rules.wasExecuted', (ruleId) => {
      if (typeof ruleId !== 'string') throw new TypeError('rules.wasExecuted: ruleId must be a string');
      return false;
    }),
  };
  return api;
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

/** Run one handler under the time budget; the executor turns a synchronous throw into a rejection. */
async function runHandler(action, handler, event, api, { timeoutMs, capture }) {
  if (!action || typeof action[handler] !== 'function') {
    return { failure: `the Action does not export an ${handler} function` };
  }
  const run = { threw: false, thrown: undefined, timedOut: false };
  let budgetTimer;
  try {
    const invoke = () => new Promise((resolve) => resolve(action[handler](event, api)));
    const execution = (capture ? capture.run(invoke) : invoke())
      .catch((error) => { run.threw = true; run.thrown = error; });
    const budget = new Promise((resolve) => {
      budgetTimer = setTimeout(() => { run.timedOut = true; resolve(); }, timeoutMs);
    });
    await Promise.race([execution, budget]);
  } finally {
    clearTimeout(budgetTimer);
  }
  return run;
}

/** What Auth0 makes of a finished handler, in the order its checks apply. */
function decide(run, state, { timeoutMs, event }) {
  if (run.failure) return { outcome: 'error', reason: run.failure };
  if (run.timedOut) return { outcome: 'error', reason: `the Action did not finish within ${timeoutMs} ms` };
  if (state.denied) return { outcome: 'denied', reason: state.denied.reason, deniedBy: 'api' };
  if (run.threw) return { outcome: 'denied', reason: messageOf(run.thrown), deniedBy: 'throw' };
  if (state.interactionRequired) return { outcome: 'error', reason: `interaction_required: ${state.interactionRequired}` };
  const enrolled = event && event.user && event.user.enrolledFactors;
  for (const request of state.mfa) {
    const blocker = mfa.challengeBlocker(request, enrolled);
    if (blocker) return { outcome: 'error', reason: blocker };
  }
  for (const token of ['accessToken', 'idToken']) {
    if (claimsByteSize(state[token].claims) > LIMITS.customClaimsMaxBytes) {
      return { outcome: 'error', reason: `custom claims on the ${token} exceed ${LIMITS.customClaimsMaxBytes} bytes` };
    }
  }
  return { outcome: 'ok' };
}

const isPlainObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The event onContinuePostLogin sees: the login's event with event.request rebuilt from the
 * request that came back to /continue, and the transaction metadata set so far.
 * @returns {{ event?: object, failure?: string }}
 */
function continueEvent(pristine, pending, request, transactionChanges) {
  if (!isPlainObject(request)) return { failure: 'continueWith must be (or return) an object { query?, body? }' };
  const query = request.query === undefined ? {} : request.query;
  const body = request.body === undefined ? {} : request.body;
  if (!isPlainObject(query) || !isPlainObject(body)) return { failure: 'continueWith query and body must be objects' };
  for (const sent of [query.state, body.state]) {
    // Auth0 finds the transaction by its state; another one loses it.
    if (sent !== undefined && sent !== pending.state) return { failure: 'invalid_request: the state sent to /continue is not this transaction\'s' };
  }
  const event = JSON.parse(JSON.stringify(pristine));
  const method = Object.keys(body).length > 0 ? 'POST' : 'GET';
  event.request = { ...event.request, method, query: { ...query, state: pending.state }, body: { ...body } };
  const transaction = isPlainObject(event.transaction) ? event.transaction : {};
  event.transaction = { ...transaction, metadata: metadata.applyChanges(transaction.metadata, transactionChanges) };
  return { event: JSON.parse(JSON.stringify(event)) };
}

/**
 * Run one login through an Action the way Auth0 does: event.secrets set, onExecutePostLogin
 * awaited, an uncaught throw or rejection ending the login as denied with its message. When the
 * Action redirects (api.redirect.sendUserTo) and `continueWith` is given, the user "comes back":
 * onContinuePostLogin runs with event.request rebuilt from continueWith, a new api on the same
 * transaction (claims, metadata and everything else recorded so far are kept) and its own time
 * budget, as Auth0 gives each side of a redirect.
 *
 * Console output and process.stdout/stderr writes made by the Action (in its async context) are
 * captured and kept out of the real output (see lib/output-capture.js). The patching is
 * process-global, so run one login at a time.
 *
 * @param {{ onExecutePostLogin: Function, onContinuePostLogin?: Function }} action  the Action module
 * @param {object} event  the post-login event, without secrets
 * @param {object} [options]
 * @param {Object<string,string>} [options.secrets={}]  becomes event.secrets
 * @param {ReturnType<typeof createApi>} [options.api]  a createApi() result to use (default: a new one)
 * @param {number} [options.timeoutMs=20000]  Auth0's trigger budget (each side of a redirect); tests pass less
 * @param {boolean} [options.captureOutput=true]
 * @param {object|Function} [options.continueWith]  the request that returns to /continue,
 *        { query?, body? }, or a function (redirect) => { query?, body? } given the pending
 *        redirect { url, query, state, location } (to sign a session token with its state).
 *        The transaction's `state` is added to the query.
 * @returns {Promise<{
 *   outcome: 'ok'|'denied'|'error',
 *       // denied: api.access.deny (or a session/refresh token revoke) was called, or the Action
 *       //         threw/rejected (Auth0: access_denied)
 *       // error:  the login failed for another reason (no handler, time budget, claims too
 *       //         large, interaction_required, an MFA challenge the user cannot meet)
 *   reason: any,              // deny reason, thrown message, or what went wrong; undefined when ok
 *   deniedBy: 'api'|'throw'|undefined,
 *   threw: boolean, thrown: any,   // whether/what the Action threw or rejected with
 *   calls: Array<{api: string, args: any[], error?: string, phase?: 'continue'}>,
 *   claims: { accessToken: object, idToken: object },   // what would reach the tokens
 *   redirect: null | { url, query, state, location },   // a redirect still pending at the end
 *   redirects: Array<{ url, query, state, location }>,  // every redirect, in order
 *   continued: boolean,       // onContinuePostLogin ran
 *   logs: { text: string, entries: Array<{stream: string, text: string}>, kept: string },
 *   ms: number,
 *   emulated: ReturnType<typeof createApi>,
 * }>}
 */
async function runLogin(action, event, { secrets = {}, api: emulated = createApi(), timeoutMs = LIMITS.timeBudgetMs, captureOutput = true, continueWith } = {}) {
  if (!emulated || typeof emulated.api !== 'object' || !Array.isArray(emulated.calls)) {
    throw new TypeError('runLogin: options.api must be the object returned by createApi(), not its .api');
  }
  const wireEvent = toWireEvent(event, secrets);
  const pristine = JSON.parse(JSON.stringify(wireEvent)); // the Action may mutate wireEvent
  const { state, context } = emulated;
  context.event = wireEvent;
  const redirects = [];
  let continued = false;
  let run;
  let decided;
  const started = performance.now();
  const capture = captureOutput ? startOutputCapture() : null;
  try {
    run = await runHandler(action, 'onExecutePostLogin', wireEvent, emulated.api, { timeoutMs, capture });
    decided = decide(run, state, { timeoutMs, event: pristine });
    if (decided.outcome === 'ok' && state.redirect && continueWith !== undefined) {
      const pending = state.redirect;
      redirects.push(pending);
      state.redirect = null;
      const request = typeof continueWith === 'function' ? continueWith(pending) : continueWith;
      const next = continueEvent(pristine, pending, request, state.transactionMetadata);
      if (next.failure) {
        run = { failure: next.failure };
      } else {
        context.event = next.event;
        context.continueState = pending.state;
        continued = true;
        run = await runHandler(action, 'onContinuePostLogin', next.event, emulated.continueApi(), { timeoutMs, capture });
      }
      decided = decide(run, state, { timeoutMs, event: pristine });
    }
  } finally {
    if (capture) capture.stop();
  }
  const ms = performance.now() - started;
  if (state.redirect && decided.outcome === 'ok') redirects.push(state.redirect);

  const text = capture ? capture.text() : '';
  return {
    outcome: decided.outcome,
    reason: decided.reason,
    deniedBy: decided.deniedBy,
    threw: Boolean(run.threw),
    thrown: run.thrown,
    calls: emulated.calls,
    claims: { accessToken: state.accessToken.claims, idToken: state.idToken.claims },
    redirect: decided.outcome === 'ok' ? state.redirect : null,
    redirects,
    continued,
    logs: { text, entries: capture ? capture.entries : [], kept: text.slice(0, LIMITS.keptLogChars) },
    ms,
    emulated,
  };
}

module.exports = { createApi, runLogin, LIMITS };
