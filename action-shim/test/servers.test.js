'use strict';
// Self-tests of the test servers: if they mis-record or mis-decode, the contract suite lies.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { startServers, startTlsProbe, unusedOrigin } = require('../lib/servers');

async function withServers(body, options) {
  const env = await startServers(options);
  try {
    await body(env);
  } finally {
    await env.close();
  }
}

test('the token server records the request and answers with its access token by default', { timeout: 3000 }, () => withServers(async (env) => {
  const response = await fetch(`${env.token.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials' }),
  });
  assert.equal(response.status, 200);
  assert.equal((await response.json()).access_token, env.token.accessToken);
  assert.match(env.token.accessToken, /^AT-/);
  const [request] = env.token.requests;
  assert.equal(request.method, 'POST');
  assert.equal(request.url, '/oauth/token');
  assert.equal(request.headers['content-type'], 'application/json');
  assert.deepEqual(request.body, { grant_type: 'client_credentials' });
}));

test('the backend decodes one path segment and 404s any other shape', { timeout: 3000 }, () => withServers(async (env) => {
  const ok = await fetch(`${env.backend.url}/api/users/${encodeURIComponent('a/b?c#d%e@x')}`);
  assert.deepEqual(await ok.json(), { email: 'a/b?c#d%e@x', tier: 'gold' });
  const split = await fetch(`${env.backend.url}/api/users/a/b@x`);
  await split.arrayBuffer();
  assert.equal(split.status, 404);
  const undecodable = await fetch(`${env.backend.url}/api/users/100%zz`);
  await undecodable.arrayBuffer();
  const [first, second, third] = env.backend.requests;
  assert.equal(first.email, 'a/b?c#d%e@x');
  assert.equal(second.routeMatched, false);
  assert.deepEqual(second.segments, ['api', 'users', 'a', 'b@x']);
  assert.equal(third.email, undefined);
  assert.ok(third.emailError);
}));

test('replies are scriptable: status, non-JSON body, function, delay; requests are ordered across servers', { timeout: 3000 }, () => withServers(async (env) => {
  env.token.reply = { status: 401, json: { error: 'invalid_client' } };
  env.backend.reply = (request) => ({ status: 200, body: `hi ${request.email}`, contentType: 'text/html', delayMs: 100 });
  const token = await fetch(`${env.token.url}/oauth/token`, { method: 'POST' });
  assert.equal(token.status, 401);
  await token.arrayBuffer();
  const started = Date.now();
  const backend = await fetch(`${env.backend.url}/api/users/bob`);
  assert.equal(await backend.text(), 'hi bob');
  assert.match(backend.headers.get('content-type'), /text\/html/);
  assert.ok(Date.now() - started >= 90);
  assert.deepEqual(env.requests().map((request) => request.server), ['token', 'backend']);
}));

test('a hanging reply is cut off by close(), which returns promptly', { timeout: 3000 }, async () => {
  const env = await startServers({ backend: { reply: { hang: true } } });
  const pending = fetch(`${env.backend.url}/api/users/x`);
  while (env.backend.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const started = Date.now();
  await env.close();
  await assert.rejects(pending);
  assert.ok(Date.now() - started < 1000);
});

test('the TLS probe tells a TLS ClientHello from plain HTTP', { timeout: 3000 }, async () => {
  const probe = await startTlsProbe();
  try {
    await assert.rejects(fetch(`https://${probe.host}/oauth/token`));
    await assert.rejects(fetch(`http://${probe.host}/oauth/token`));
    assert.deepEqual(probe.connections.map((connection) => connection.looksLikeTls), [true, false]);
  } finally {
    await probe.close();
  }
});

test('unusedOrigin refuses connections', { timeout: 3000 }, async () => {
  await assert.rejects(fetch(`${await unusedOrigin()}/oauth/token`));
});
