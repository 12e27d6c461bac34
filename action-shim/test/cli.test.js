'use strict';
/**
 * `postlogin test` end to end: the compiled CLI (POSTLOGIN_BIN, default target/release/postlogin)
 * runs the built enrich-from-backend Action (POSTLOGIN_ARTIFACT) in this very Node
 * (--node process.execPath) against real servers on 127.0.0.1, with the secrets in a file.
 * Every run is checked for leaks: no secret value and no issued token in stdout or stderr.
 */

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { makeSecrets } = require('../lib/fixtures');
const { startServers } = require('../lib/servers');

const DEFAULT_BIN = path.join(__dirname, '..', '..', 'target', 'release', 'postlogin');
const BIN = process.env.POSTLOGIN_BIN ? path.resolve(process.env.POSTLOGIN_BIN) : DEFAULT_BIN;
const ARTIFACT = process.env.POSTLOGIN_ARTIFACT && path.resolve(process.env.POSTLOGIN_ARTIFACT);
// Asked for explicitly (test.sh does), a missing binary is a failure; found by default, optional.
const skip = !ARTIFACT ? 'set POSTLOGIN_ARTIFACT to the built examples/enrich-from-backend'
  : !process.env.POSTLOGIN_BIN && !fs.existsSync(DEFAULT_BIN) ? `build ${DEFAULT_BIN} or set POSTLOGIN_BIN` : false;
const CLAIM = 'http://test.org/extra_info';
const EMAIL = 'jürgen+cli@example.com';

/** Run the CLI (async: the servers live in this process and must keep answering). */
function postlogin(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['test', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

describe('postlogin test (the CLI)', { skip }, () => {
  let env;
  let dir;
  let secrets;
  let files;
  const write = (name, contents) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof contents === 'string' ? contents : JSON.stringify(contents));
    return file;
  };
  const run = (...extra) => postlogin([ARTIFACT, '--event', files.event, '--secrets-file', files.secrets, '--node', process.execPath, ...extra]);

  function assertNoLeak({ stdout, stderr }) {
    const values = [...Object.values(secrets).filter((value) => value.length >= 6), env.token.accessToken];
    for (const value of values) {
      assert.ok(!stdout.includes(value) && !stderr.includes(value), 'a secret value or the token was printed');
    }
  }

  before(async () => {
    assert.ok(fs.existsSync(BIN), `${BIN} does not exist`);
    env = await startServers();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postlogin-cli-test-'));
    secrets = makeSecrets(env);
    files = { event: write('event.json', { user: { email: EMAIL } }), secrets: write('secrets.json', secrets) };
  });

  after(async () => {
    await env.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('--json prints exactly one object: outcome, ordered calls, logs, ms, and the requests sent', async () => {
    const sentBefore = env.requests().length;
    const result = await run('--json');
    assertNoLeak(result);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'one line of JSON');
    const json = JSON.parse(lines[0]);
    assert.equal(json.outcome, 'ok', json.reason);
    const expected = { email: EMAIL, tier: 'gold' };
    assert.deepEqual(json.calls.filter((call) => !call.api.startsWith('cache.')), [
      { api: 'accessToken.setCustomClaim', args: [CLAIM, expected] },
      { api: 'idToken.setCustomClaim', args: [CLAIM, expected] },
    ]);
    const cacheSet = json.calls.find((call) => call.api === 'cache.set');
    assert.match(cacheSet.args[1], /^\[cache value, \d+ chars\]$/, 'the cached token is shown by size only');
    assert.deepEqual(json.logs, []);
    assert.equal(typeof json.ms, 'number');
    assert.deepEqual(json.claims, { access_token: { [CLAIM]: expected }, id_token: { [CLAIM]: expected } });
    // The origins are secrets (auth0_domain, backend_url), so they print as their names.
    assert.deepEqual(json.requests.map((request) => `${request.method} ${request.url} ${request.status}`), [
      'POST [secret auth0_domain]/oauth/token 200',
      `GET [secret backend_url]/api/users/${encodeURIComponent(EMAIL)} 200`,
    ]);
    assert.equal(env.requests().length - sentBefore, 2, 'the servers saw the same two requests');
  });

  test('--logins 2: the second login reuses the token; the readable report shows both', async () => {
    const tokenRequests = env.token.requests.length;
    const result = await run('--logins', '2');
    assertNoLeak(result);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(env.token.requests.length - tokenRequests, 1, 'one token request for two logins');
    const [first, second] = result.stdout.split('\n\n');
    assert.match(first, /^login 1 of 2: ok in \d+\.\d ms\nhttp requests \(2\):\n {2}POST \[secret auth0_domain\]\/oauth\/token → 200\n/);
    assert.match(second, /^login 2 of 2: ok in \d+\.\d ms\nhttp requests \(1\):\n {2}GET \[secret backend_url\]\/api\/users\//);
    assert.match(second, /access token claims:\n {2}http:\/\/test\.org\/extra_info = \{"email":"jürgen\+cli@example\.com","tier":"gold"\}/);
    assert.match(second, /logs: none/);
  });

  test('a denied login exits 0 and says why; --secret on the command line overrides the file', async () => {
    env.backend.reply = { status: 500, json: { error: 'boom' } };
    try {
      const result = await run('--json', '--secret', 'client_id=cli-override-id', '--logins', '1');
      assertNoLeak(result);
      assert.equal(result.code, 0, result.stderr);
      const json = JSON.parse(result.stdout);
      assert.equal(json.outcome, 'denied');
      assert.match(json.reason, /backend answered HTTP 500/);
      assert.equal(env.token.requests.at(-1).body.client_id, 'cli-override-id');
    } finally {
      env.backend.reply = undefined;
      env.backend.reply = (request) => ({ status: 200, json: { email: request.email, tier: 'gold' } });
    }
  });

  test('a bad event file: exit 1, the file with the line and column, no run', async () => {
    const bad = write('bad.json', '{\n  "user": {"email": "a@b.c",}\n}\n');
    const result = await postlogin([ARTIFACT, '--event', bad, '--secrets-file', files.secrets, '--node', process.execPath]);
    assertNoLeak(result);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, new RegExp(`^error: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:\\d+: the event is not valid JSON: trailing comma`));
  });

  test('a missing artifact, a missing node, an artifact that throws on load: exit 1 with the reason, secrets redacted', async () => {
    const missing = await postlogin([path.join(dir, 'nope.js'), '--event', files.event, '--node', process.execPath]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.js: no such file; build it first with `postlogin build`/);

    const noNode = await postlogin([ARTIFACT, '--event', files.event, '--node', path.join(dir, 'no-node')]);
    assert.equal(noNode.code, 1);
    assert.match(noNode.stderr, /no-node: no such file/);

    const throwing = write('throws.js', `throw new Error('config broken near ${secrets.client_secret}');`);
    const loaded = await postlogin([throwing, '--event', files.event, '--secrets-file', files.secrets, '--node', process.execPath]);
    assertNoLeak(loaded);
    assert.equal(loaded.code, 1);
    assert.match(loaded.stderr, /throws\.js: the Action threw while loading: config broken near \[secret client_secret\]/);
  });

  test('a login that fails (not a deny) prints the report, then exits 1', async () => {
    const failing = write('redirects.js', `exports.onExecutePostLogin = async (event, api) => { api.redirect.sendUserTo('https://consent.example.test/'); };`);
    const refresh = write('refresh.json', { transaction: { protocol: 'oauth2-refresh-token' } });
    const result = await postlogin([failing, '--event', refresh, '--node', process.execPath]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^error in \d+\.\d ms: interaction_required: redirect\.sendUserTo: the oauth2-refresh-token protocol has no browser/);
    assert.match(result.stderr, /error: login 1 ended in error/);
  });
});
