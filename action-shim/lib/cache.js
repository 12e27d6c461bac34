'use strict';
// api.cache with production semantics (AUTH0.md §2, §4):
// - get(key) returns the RECORD { value, expires_at } (ms since epoch) or undefined. A popular
//   community harness returns the bare string instead; code written against it breaks in
//   production, so this emulator deliberately does not.
// - set/delete never throw: they return { type: 'success', record } or { type: 'error', code }.
// - Limits: 20 entries, key <= 64 bytes, string value <= 4 kB, keys + values <= 8 kB,
//   default TTL 15 min, max 24 h.
// The backing Map is exposed so a test can hand the same one to the next login (a warm instance)
// or clear it (Auth0 may evict entries early).

const LIMITS = require('./limits');

function byteLength(text) {
  return Buffer.byteLength(text, 'utf8');
}

function cacheError(code) {
  return { type: 'error', code };
}

function copyRecord(record) {
  return { value: record.value, expires_at: record.expires_at };
}

/**
 * @param {{ store?: Map<string, {value: string, expires_at: number}>, now?: () => number }} options
 */
function createCache({ store = new Map(), now = Date.now } = {}) {
  function dropExpired() {
    const at = now();
    for (const [key, record] of store) {
      if (record.expires_at <= at) store.delete(key);
    }
  }

  // The expiry of a new record, or undefined when the options ask for an impossible one.
  // When both ttl and expires_at are given the earlier wins (undocumented; the safe reading).
  function expiryFor(options) {
    const at = now();
    const candidates = [];
    if (options.ttl !== undefined) {
      if (typeof options.ttl !== 'number' || !Number.isFinite(options.ttl) || options.ttl <= 0) return undefined;
      candidates.push(at + options.ttl);
    }
    if (options.expires_at !== undefined) {
      if (typeof options.expires_at !== 'number' || !Number.isFinite(options.expires_at)) return undefined;
      candidates.push(options.expires_at);
    }
    const expiresAt = candidates.length ? Math.min(...candidates) : at + LIMITS.cacheDefaultTtlMs;
    if (expiresAt <= at || expiresAt > at + LIMITS.cacheMaxTtlMs) return undefined;
    return expiresAt;
  }

  function totalBytesWith(key, value) {
    let total = byteLength(key) + byteLength(value);
    for (const [otherKey, record] of store) {
      if (otherKey !== key) total += byteLength(otherKey) + byteLength(record.value);
    }
    return total;
  }

  return {
    get(key) {
      dropExpired();
      const record = store.get(key);
      return record ? copyRecord(record) : undefined;
    },

    set(key, value, options = {}) {
      // Not documented codes for wrong types; chosen so a non-string is never silently accepted.
      if (typeof key !== 'string' || key.length === 0) return cacheError('InvalidKey');
      if (typeof value !== 'string') return cacheError('InvalidValue');
      if (byteLength(key) > LIMITS.cacheMaxKeyBytes) return cacheError('CacheKeySizeExceeded');
      if (byteLength(value) > LIMITS.cacheMaxValueBytes) return cacheError('CacheValueSizeExceeded');
      const expiresAt = expiryFor(options || {});
      if (expiresAt === undefined) return cacheError('InvalidExpiry');
      dropExpired();
      const entriesAfter = store.size + (store.has(key) ? 0 : 1);
      if (entriesAfter > LIMITS.cacheMaxEntries) return cacheError('CacheSizeExceeded');
      if (totalBytesWith(key, value) > LIMITS.cacheMaxTotalBytes) return cacheError('CacheSizeExceeded');
      const record = { value, expires_at: expiresAt };
      store.set(key, record);
      return { type: 'success', record: copyRecord(record) };
    },

    delete(key) {
      if (typeof key !== 'string' || key.length === 0) return cacheError('InvalidKey');
      dropExpired();
      const record = store.get(key);
      store.delete(key);
      return { type: 'success', record: record ? copyRecord(record) : undefined };
    },
  };
}

module.exports = { createCache };
