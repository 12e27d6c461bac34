'use strict';
// The small key/value stores an Action may write besides user metadata (AUTH0.md §4):
// - transaction metadata (api.transaction.setMetadata): string, number or boolean values, null
//   removes the key; objects and arrays are refused (serialize them). Visible at once in
//   event.transaction.metadata and kept across a redirect.
// - session metadata (api.session.setMetadata / deleteMetadata / evictMetadata, Enterprise).
// - refresh-token metadata (api.refreshToken.…, Enterprise): at most 25 entries, keys and values
//   of at most 255 characters, keys of letters, digits, `_` and `-`.
// Session metadata's own limits are not documented where this was written; the refresh token's
// are applied to both (inferred: the two features shipped together with the same shape).

const METADATA_MAX_ENTRIES = 25;
const METADATA_MAX_CHARS = 255;
const METADATA_KEY = /^[A-Za-z0-9_-]+$/;

function checkKey(method, key) {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError(`${method}: key must be a non-empty string`);
}

/** transaction.setMetadata: apply to `store` (null removes) and return it. */
function setTransactionMetadata(store, key, value) {
  checkKey('transaction.setMetadata', key);
  if (value === null || value === undefined) {
    store[key] = null; // recorded as a removal
    return store;
  }
  if (!['string', 'number', 'boolean'].includes(typeof value) || (typeof value === 'number' && !Number.isFinite(value))) {
    throw new TypeError('transaction.setMetadata: value must be a string, a number or a boolean (serialize objects and arrays)');
  }
  store[key] = value;
  return store;
}

/** session / refreshToken setMetadata with the refresh token's documented limits. */
function setLifetimeMetadata(method, store, key, value) {
  checkKey(method, key);
  if (!METADATA_KEY.test(key)) throw new TypeError(`${method}: key may contain only letters, digits, _ and -`);
  if (key.length > METADATA_MAX_CHARS) throw new TypeError(`${method}: key must be at most ${METADATA_MAX_CHARS} characters`);
  if (typeof value !== 'string') throw new TypeError(`${method}: value must be a string`);
  if (value.length > METADATA_MAX_CHARS) throw new TypeError(`${method}: value must be at most ${METADATA_MAX_CHARS} characters`);
  const entries = Object.values(store).filter((kept) => kept !== null).length;
  if ((store[key] === undefined || store[key] === null) && entries >= METADATA_MAX_ENTRIES) throw new Error(`${method}: at most ${METADATA_MAX_ENTRIES} entries`);
  store[key] = value;
  return store;
}

/** The metadata an event shows: the starting values with the recorded changes (null removes). */
function applyChanges(start, changes) {
  const view = { ...(start || {}) };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete view[key];
    else view[key] = value;
  }
  return view;
}

module.exports = { setTransactionMetadata, setLifetimeMetadata, applyChanges, METADATA_MAX_ENTRIES, METADATA_MAX_CHARS };
