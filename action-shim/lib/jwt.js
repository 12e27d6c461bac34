'use strict';
// HS256 JSON Web Tokens, for api.redirect.encodeToken / validateToken (AUTH0.md §4). Auth0 signs
// and checks these session tokens with a secret shared with the redirect target, HS256 only; this
// uses node:crypto so the emulator needs no dependency.

const crypto = require('node:crypto');

class JwtError extends Error {}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function signature(signingInput, secret) {
  return crypto.createHmac('sha256', secret).update(signingInput).digest('base64url');
}

/** A compact JWS of `claims` signed with HMAC-SHA256. */
function encodeHs256(claims, secret) {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${HEADER}.${body}.${signature(`${HEADER}.${body}`, secret)}`;
}

function decodePart(part, what) {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError(`malformed JWT ${what}`);
  }
}

/**
 * Check the signature of an HS256 token and return its claims. Expiry and claim rules are the
 * caller's: they differ per use. Throws JwtError with a message that never quotes the token.
 */
function verifyHs256(token, secret) {
  if (typeof token !== 'string') throw new JwtError('not a string');
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('malformed JWT (expected three dot-separated parts)');
  const [head, body, sig] = parts;
  const header = decodePart(head, 'header');
  // Only HS256: accepting the token's own choice of algorithm (e.g. "none") is the classic JWT hole.
  if (!header || header.alg !== 'HS256') throw new JwtError('unexpected signing algorithm (HS256 expected)');
  const expected = Buffer.from(signature(`${head}.${body}`, secret));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) throw new JwtError('invalid signature');
  const claims = decodePart(body, 'payload');
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw new JwtError('the payload is not a JSON object');
  return claims;
}

module.exports = { encodeHs256, verifyHs256, JwtError };
