'use strict';
// api.multifactor and the MFA half of api.authentication (AUTH0.md §4), after Auth0's post-login
// v3 type definitions:
// - multifactor.enable(provider, { allowRememberBrowser, providerOptions }) takes a PROVIDER:
//   any, duo, google-authenticator, guardian or none. Factor names (otp, sms, …) belong to
//   authentication.challengeWith and are refused here with a pointer to it.
// - challengeWith / challengeWithAny take factor selectors { type, options }; enrollWith /
//   enrollWithAny the same, without email. A challenge none of whose factors the user has
//   enrolled fails the login (when event.user.enrolledFactors says what is enrolled).
// Refusing a bad name with a throw is inferred: Auth0 documents the names, not the failure.

const PROVIDERS = ['any', 'duo', 'google-authenticator', 'guardian', 'none'];
const CHALLENGE_FACTORS = ['otp', 'email', 'phone', 'push', 'push-notification', 'webauthn-platform', 'webauthn-roaming', 'recovery-code'];
const ENROLL_FACTORS = CHALLENGE_FACTORS.filter((type) => type !== 'email');
const PHONE_METHODS = ['sms', 'voice', 'both'];

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** What multifactor.enable requests. Duo's keys are checked but never kept (skey is a secret). */
function checkProvider(provider, options) {
  if (!PROVIDERS.includes(provider)) {
    const hint = typeof provider === 'string' && CHALLENGE_FACTORS.concat('sms').includes(provider)
      ? `; "${provider}" is a factor: use api.authentication.challengeWith({ type: "${provider === 'sms' ? 'phone' : provider}" })`
      : '';
    throw new TypeError(`multifactor.enable: unknown provider; expected one of ${PROVIDERS.join(', ')}${hint}`);
  }
  if (options !== undefined && !isPlainObject(options)) throw new TypeError('multifactor.enable: options must be an object');
  const { allowRememberBrowser, providerOptions } = options || {};
  if (allowRememberBrowser !== undefined && typeof allowRememberBrowser !== 'boolean') {
    throw new TypeError('multifactor.enable: allowRememberBrowser must be a boolean');
  }
  if (providerOptions !== undefined) {
    if (provider !== 'duo') throw new TypeError('multifactor.enable: providerOptions are for the duo provider only');
    for (const key of ['ikey', 'skey', 'host']) {
      if (!isPlainObject(providerOptions) || typeof providerOptions[key] !== 'string' || providerOptions[key].length === 0) {
        throw new TypeError(`multifactor.enable: duo providerOptions.${key} must be a non-empty string`);
      }
    }
  }
  return { provider, allowRememberBrowser: allowRememberBrowser === true };
}

function checkFactor(method, factor, allowed) {
  if (!isPlainObject(factor) || !allowed.includes(factor.type)) {
    throw new TypeError(`${method}: a factor is { type, options? } with type one of ${allowed.join(', ')}`);
  }
  if (factor.options !== undefined && !isPlainObject(factor.options)) throw new TypeError(`${method}: factor options must be an object`);
  const options = factor.options || {};
  if (factor.type === 'phone' && options.preferredMethod !== undefined && !PHONE_METHODS.includes(options.preferredMethod)) {
    throw new TypeError(`${method}: phone preferredMethod must be one of ${PHONE_METHODS.join(', ')}`);
  }
  if ((factor.type === 'push' || factor.type === 'push-notification') && options.otpFallback !== undefined && typeof options.otpFallback !== 'boolean') {
    throw new TypeError(`${method}: push otpFallback must be a boolean`);
  }
  return factor.options === undefined ? { type: factor.type } : { type: factor.type, options: { ...options } };
}

/** challengeWith(factor, { additionalFactors }) / enrollWith: the factors, the default first. */
function checkFactorWith(method, factor, options, allowed) {
  if (options !== undefined && !isPlainObject(options)) throw new TypeError(`${method}: options must be an object`);
  const additional = (options && options.additionalFactors) || [];
  if (!Array.isArray(additional)) throw new TypeError(`${method}: additionalFactors must be an array`);
  return [checkFactor(method, factor, allowed), ...additional.map((f) => checkFactor(method, f, allowed))];
}

/** challengeWithAny(factors) / enrollWithAny: a non-empty list. */
function checkFactorList(method, factors, allowed) {
  if (!Array.isArray(factors) || factors.length === 0) throw new TypeError(`${method}: factors must be a non-empty array`);
  return factors.map((factor) => checkFactor(method, factor, allowed));
}

const sameFactor = (a, b) => a === b || (a.startsWith('push') && b.startsWith('push'));

/**
 * Why a challenge cannot be met, or undefined. Only decided when the event lists the user's
 * enrolled factors; an event without the list says nothing either way.
 */
function challengeBlocker(request, enrolledFactors) {
  if (!request.method.startsWith('challengeWith') || !Array.isArray(enrolledFactors)) return undefined;
  const enrolled = enrolledFactors.map((factor) => factor && factor.type).filter((type) => typeof type === 'string');
  if (request.factors.some((factor) => enrolled.some((type) => sameFactor(type, factor.type)))) return undefined;
  const asked = request.factors.map((factor) => factor.type).join(', ');
  return `authentication.${request.method}: the user has enrolled none of the requested factors (${asked})`;
}

module.exports = {
  PROVIDERS,
  CHALLENGE_FACTORS,
  ENROLL_FACTORS,
  checkProvider,
  checkFactorWith,
  checkFactorList,
  challengeBlocker,
};
