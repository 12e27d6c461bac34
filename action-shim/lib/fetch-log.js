'use strict';
// Records the HTTP requests an Action sends through the global fetch: method, URL and status,
// never headers or bodies (they carry bearer tokens and client secrets). `postlogin test` shows
// them, so a reader sees, for instance, that a second login reused its token: no token request.
// The patch is process-global: for the runner, whose process runs nothing but the Action.

function describeError(error) {
  if (error && (error.name === 'AbortError' || error.name === 'TimeoutError')) return 'aborted (timeout)';
  const cause = error && error.cause && (error.cause.code || error.cause.message);
  return cause ? `network error (${cause})` : 'network error';
}

/** Wrap globalThis.fetch; returns { requests, restore() }. */
function recordFetches(target = globalThis) {
  const original = target.fetch;
  const requests = [];
  target.fetch = async function recordedFetch(input, init) {
    const fromRequest = input !== null && typeof input === 'object' && 'url' in input;
    const method = String((init && init.method) || (fromRequest && input.method) || 'GET').toUpperCase();
    const request = { method, url: String(fromRequest ? input.url : input) };
    requests.push(request);
    try {
      const response = await original.call(this, input, init);
      request.status = response.status;
      return response;
    } catch (error) {
      request.error = describeError(error);
      throw error;
    }
  };
  return {
    requests,
    restore() {
      target.fetch = original;
    },
  };
}

module.exports = { recordFetches };
