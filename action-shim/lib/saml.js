'use strict';
// api.samlResponse (AUTH0.md §4): attributes on the SAML assertion and the settings of the
// response, after Auth0's post-login v3 type definitions. Only recorded: the emulator issues no
// SAML, but a wrong value type is caught here rather than in production.

const SETTINGS = {
  setAudience: 'string',
  setRecipient: 'string',
  setCreateUpnClaim: 'boolean',
  setPassthroughClaimsWithNoMapping: 'boolean',
  setMapUnknownClaimsAsIs: 'boolean',
  setMapIdentities: 'boolean',
  setSignatureAlgorithm: ['rsa-sha256', 'rsa-sha1'],
  setDigestAlgorithm: ['sha256', 'sha1'],
  setDestination: 'string',
  setLifetimeInSeconds: 'number',
  setSignResponse: 'boolean',
  setNameIdentifierFormat: 'string',
  setNameIdentifierProbes: 'string[]',
  setAuthnContextClassRef: 'string',
  setSigningCert: 'string',
  setIncludeAttributeNameFormat: 'boolean',
  setTypedAttributes: 'boolean',
  setEncryptionCert: 'string',
  setEncryptionPublicKey: 'string',
  setCert: 'string',
  setKey: 'string',
  setRelayState: 'string',
  setIssuer: 'string',
};

const isScalar = (value) => ['string', 'number', 'boolean'].includes(typeof value);

function checkSetting(method, value) {
  const expected = SETTINGS[method];
  const ok = Array.isArray(expected) ? expected.includes(value)
    : expected === 'string[]' ? Array.isArray(value) && value.every((item) => typeof item === 'string')
      : typeof value === expected && (expected !== 'number' || (Number.isFinite(value) && value > 0));
  if (!ok) {
    const what = Array.isArray(expected) ? `one of ${expected.join(', ')}` : expected === 'number' ? 'a positive number' : `a ${expected}`;
    throw new TypeError(`samlResponse.${method}: value must be ${what}`);
  }
  return value;
}

/** setAttribute: a scalar, null (removes), or an array of scalars. */
function checkAttribute(attribute, value) {
  if (typeof attribute !== 'string' || attribute.length === 0) throw new TypeError('samlResponse.setAttribute: attribute must be a non-empty string');
  const ok = value === null || value === undefined || isScalar(value) || (Array.isArray(value) && value.every(isScalar));
  if (!ok) throw new TypeError('samlResponse.setAttribute: value must be a string, number, boolean, null or an array of those');
  return value === undefined ? null : value;
}

module.exports = { SAML_SETTINGS: Object.keys(SETTINGS), checkSetting, checkAttribute };
