'use strict';
// The Auth0 post-login limits the emulator enforces (AUTH0.md §2, §4, §5), in one place so a test
// can name them instead of repeating magic numbers.

const KB = 1024;
const MINUTE_MS = 60 * 1000;

module.exports = Object.freeze({
  // The whole trigger (all bound Actions together) must finish within 20 s.
  timeBudgetMs: 20 * 1000,
  // api.cache
  cacheMaxEntries: 20,
  cacheMaxKeyBytes: 64,
  cacheMaxValueBytes: 4 * KB,
  cacheMaxTotalBytes: 8 * KB, // keys + values
  cacheDefaultTtlMs: 15 * MINUTE_MS,
  cacheMaxTtlMs: 24 * 60 * MINUTE_MS,
  // api.accessToken.addScope / removeScope
  scopeMaxChars: 280,
  // Custom claims per token, names + JSON values; going over fails the login.
  customClaimsMaxBytes: 100 * KB,
  // Only this much console output per Action is kept in Auth0's execution logs.
  keptLogChars: 256,
});
