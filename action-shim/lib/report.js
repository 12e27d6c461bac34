'use strict';
/**
 * What `postlogin test` prints about its logins: one JSON object (--json) or a readable summary,
 * like the Auth0 editor's Test tab.
 *
 * Secret hygiene: every secret value of 6 characters or more is replaced by `[secret NAME]`
 * wherever it appears (call arguments, reasons, logs, claims); shorter values occur in ordinary
 * text, and replacing them would garble it. api.cache values are never shown, only their size:
 * the cache is where an Action keeps what it must not print (an issued token, above all).
 */

const LIMITS = require('./limits');

const MIN_REDACTED_CHARS = 6;
const ARG_PREVIEW_CHARS = 120;

/** Replacement rules for `secrets`, the longest value first so no shorter one splits it. */
function createRedactor(secrets) {
  const rules = Object.entries(secrets)
    .filter(([, value]) => typeof value === 'string' && value.length >= MIN_REDACTED_CHARS)
    .map(([name, value]) => ({ value, label: `[secret ${name}]` }))
    .sort((a, b) => b.value.length - a.value.length);

  /**
   * Redact `text` and split it where Auth0 stops keeping it (`at` characters of the original).
   * A secret that straddles the cut is replaced whole, on the kept side, so no prefix shows.
   */
  function split(text, at) {
    let kept = '';
    let cut = '';
    let plain = '';
    let plainStart = 0;
    const flush = () => {
      if (plain) {
        const keep = Math.max(0, Math.min(plain.length, at - plainStart));
        kept += plain.slice(0, keep);
        cut += plain.slice(keep);
        plain = '';
      }
    };
    let index = 0;
    while (index < text.length) {
      const rule = rules.find((candidate) => text.startsWith(candidate.value, index));
      if (rule) {
        flush();
        if (index < at) kept += rule.label;
        else cut += rule.label;
        index += rule.value.length;
        plainStart = index;
      } else {
        plain += text[index];
        index += 1;
      }
    }
    flush();
    return { kept, cut };
  }

  const text = (value) => (rules.length === 0 ? value : split(value, Infinity).kept);
  const value = (json) => {
    if (typeof json === 'string') return text(json);
    if (Array.isArray(json)) return json.map(value);
    if (json !== null && typeof json === 'object') {
      return Object.fromEntries(Object.entries(json).map(([key, inner]) => [text(key), value(inner)]));
    }
    return json;
  };
  return { text, value, split };
}

/** Any value as plain JSON data (undefined → null; what JSON cannot hold, as text). */
function jsonData(value) {
  try {
    const encoded = JSON.stringify(value, (key, inner) => (typeof inner === 'bigint' ? inner.toString() : inner));
    return encoded === undefined ? null : JSON.parse(encoded);
  } catch {
    return String(value);
  }
}

function callArgs(call) {
  return call.args.map((arg, index) => {
    if (call.api === 'cache.set' && index === 1 && typeof arg === 'string') return `[cache value, ${arg.length} chars]`;
    return jsonData(arg);
  });
}

const nonEmpty = (object) => Object.keys(object).length > 0;
const round = (ms) => Math.round(ms * 10) / 10;

/** One login as the JSON object `--json` prints (`outcome`, `calls`, `logs`, `ms` first). */
function loginJson(result, redact) {
  const { state } = result.emulated;
  const logText = result.logs.text;
  const json = {
    outcome: result.outcome,
    ...(result.reason === undefined ? {} : { reason: redact.text(String(result.reason)) }),
    calls: result.calls.map((call) => ({
      api: call.api,
      args: redact.value(callArgs(call)),
      ...(call.error === undefined ? {} : { error: redact.text(String(call.error)) }),
      ...(call.phase ? { phase: call.phase } : {}),
    })),
    logs: redact.text(logText).split('\n').filter((line, index, lines) => line !== '' || index < lines.length - 1),
    ms: round(result.ms),
    log_chars: logText.length,
    log_chars_kept: Math.min(logText.length, LIMITS.keptLogChars),
    claims: redact.value(jsonData({ access_token: state.accessToken.claims, id_token: state.idToken.claims })),
    dropped_claims: { access_token: [...state.accessToken.droppedClaims], id_token: [...state.idToken.droppedClaims] },
    scopes: { added: [...state.accessToken.scopesAdded], removed: [...state.accessToken.scopesRemoved] },
    metadata: redact.value(jsonData({ app: state.appMetadata, user: state.userMetadata, transaction: state.transactionMetadata })),
    multifactor: state.multifactor,
    mfa: redact.value(jsonData(state.mfa)),
    redirect: result.redirect ? redact.value({ location: result.redirect.location, state: result.redirect.state }) : null,
    continued: result.continued,
  };
  const optional = {
    requests: result.requests,
    recorded_methods: state.recordedMethods.length ? [...state.recordedMethods] : undefined,
    primary_user: state.primaryUser || undefined,
    session: lifetimeJson(state.session),
    refresh_token: lifetimeJson(state.refreshToken),
    saml_response: nonEmpty(state.samlResponse.attributes) || nonEmpty(state.samlResponse.settings) ? state.samlResponse : undefined,
  };
  for (const [key, inner] of Object.entries(optional)) {
    if (inner !== undefined) json[key] = redact.value(jsonData(inner));
  }
  return json;
}

function lifetimeJson(lifetime) {
  const touched = lifetime.expiresAt !== undefined || lifetime.idleExpiresAt !== undefined || nonEmpty(lifetime.metadata)
    || lifetime.metadataEvicted || lifetime.revoked;
  if (!touched) return undefined;
  return {
    expires_at: lifetime.expiresAt ?? null,
    idle_expires_at: lifetime.idleExpiresAt ?? null,
    metadata: lifetime.metadata,
    metadata_evicted: lifetime.metadataEvicted,
    revoked: lifetime.revoked,
  };
}

/**
 * The one JSON object for a run of `results.length` logins: the last login's fields at the top
 * (the shape a single login has), and every login under `logins` when there were several.
 */
function runJson(results, secrets) {
  const redact = createRedactor(secrets);
  const logins = results.map((result) => loginJson(result, redact));
  const last = logins[logins.length - 1];
  return logins.length > 1 ? { ...last, logins } : last;
}

function preview(json) {
  const text = JSON.stringify(json);
  if (text === undefined) return 'undefined';
  const chars = Array.from(text);
  return chars.length > ARG_PREVIEW_CHARS ? `${chars.slice(0, ARG_PREVIEW_CHARS - 1).join('')}…` : text;
}

function describeFactors(factors) {
  return factors.map((factor) => factor.type).join(', ');
}

/** The readable summary of one login, as lines. */
function loginText(result, redact, heading) {
  const json = loginJson(result, redact);
  const lines = [];
  const reason = json.reason === undefined ? '' : `: ${json.reason}`;
  lines.push(`${heading}${json.outcome} in ${json.ms.toFixed(1)} ms${reason}`);

  if (json.requests) {
    lines.push(json.requests.length ? `http requests (${json.requests.length}):` : 'http requests: none');
    for (const request of json.requests) {
      lines.push(`  ${request.method} ${request.url} → ${request.status === undefined ? request.error : request.status}`);
    }
  }
  lines.push(json.calls.length ? `api calls, in order (${json.calls.length}):` : 'api calls: none');
  json.calls.forEach((call, index) => {
    const where = call.phase === 'continue' ? ' [onContinuePostLogin]' : '';
    const threw = call.error === undefined ? '' : `  → threw: ${call.error}`;
    lines.push(`  ${String(index + 1).padStart(2)}. api.${call.api}(${call.args.map(preview).join(', ')})${where}${threw}`);
  });

  for (const [label, key] of [['access token', 'access_token'], ['id token', 'id_token']]) {
    const claims = Object.entries(json.claims[key]);
    lines.push(claims.length ? `${label} claims:` : `${label} claims: none`);
    for (const [name, value] of claims) lines.push(`  ${name} = ${preview(value)}`);
    if (json.dropped_claims[key].length) lines.push(`  dropped silently by Auth0: ${json.dropped_claims[key].join(', ')}`);
  }
  if (json.scopes.added.length) lines.push(`scopes added: ${json.scopes.added.join(' ')}`);
  if (json.scopes.removed.length) lines.push(`scopes removed: ${json.scopes.removed.join(' ')}`);
  for (const [label, key] of [['app metadata', 'app'], ['user metadata', 'user'], ['transaction metadata', 'transaction']]) {
    const entries = Object.entries(json.metadata[key]);
    if (entries.length) lines.push(`${label}: ${entries.map(([name, value]) => `${name} = ${value === null ? '(removed)' : preview(value)}`).join(', ')}`);
  }
  if (json.multifactor) {
    lines.push(`multifactor: ${json.multifactor.provider}${json.multifactor.allowRememberBrowser ? ' (remember browser allowed)' : ''}`);
  }
  for (const request of json.mfa) lines.push(`mfa: ${request.method} ${describeFactors(request.factors)}`);
  if (json.primary_user) lines.push(`primary user: ${json.primary_user}`);
  if (json.recorded_methods) lines.push(`recorded methods: ${json.recorded_methods.join(', ')}`);
  for (const [label, key] of [['session', 'session'], ['refresh token', 'refresh_token']]) {
    if (json[key]) lines.push(`${label}: ${preview(json[key])}`);
  }
  if (json.saml_response) lines.push(`saml response: ${preview(json.saml_response)}`);
  if (result.redirects.length && json.continued) lines.push(`redirected to ${redact.text(result.redirects[0].location)}, then continued in onContinuePostLogin`);
  if (json.redirect) lines.push(`redirect: the browser goes to ${json.redirect.location}; the login resumes in onContinuePostLogin when it comes back to /continue`);

  lines.push(...logLines(result.logs.text, redact));
  return lines;
}

/** The Action's output, with where Auth0's 256-character cap falls. */
function logLines(text, redact) {
  if (text.length === 0) return ['logs: none'];
  const { kept, cut } = redact.split(text, LIMITS.keptLogChars);
  const lines = [];
  if (cut.length === 0) {
    lines.push(`logs (${text.length} characters; Auth0 keeps them all):`);
  } else {
    lines.push(`logs (${text.length} characters; Auth0 keeps the first ${LIMITS.keptLogChars}, ${text.length - LIMITS.keptLogChars} are cut):`);
  }
  const show = (part, marker) => part.replace(/\n$/, '').split('\n').map((line) => `  ${marker} ${line}`);
  if (kept.length) lines.push(...show(kept, 'kept |'));
  if (cut.length) lines.push(...show(cut, 'cut  |'));
  return lines;
}

/** The readable summary of a run of logins. */
function runText(results, secrets) {
  const redact = createRedactor(secrets);
  const sections = results.map((result, index) => {
    const heading = results.length > 1 ? `login ${index + 1} of ${results.length}: ` : '';
    return loginText(result, redact, heading).join('\n');
  });
  return `${sections.join('\n\n')}\n`;
}

module.exports = { createRedactor, runJson, runText, MIN_REDACTED_CHARS };
