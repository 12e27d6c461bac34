'use strict';
/**
 * The Node side of `postlogin test`: runs a built Action file under the emulator and writes what
 * it did where the CLI asked. The CLI embeds this file, emulator.js and lib/, so it works from
 * any directory.
 *
 *   node runner.js < request.json
 *
 * The request comes on stdin, never in argv or the environment, because it holds the secrets:
 *   { artifact, event, secrets, logins, json, resultPath }
 * The result file gets { output, outcomes, warnings }: `output` is the text or the one JSON
 * object to print, secret values already redacted. Exit status 0 means the result was written;
 * anything else is a failure of the run itself, explained on stderr.
 */

const fs = require('node:fs');
const path = require('node:path');
const { createApi, runLogin } = require('./emulator');
const { withSampleDefaults } = require('./lib/sample-event');
const { createRedactor, runJson, runText } = require('./lib/report');
const { recordFetches } = require('./lib/fetch-log');

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (chunk) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

// Anything the Action leaves behind (a timer that throws later, an unawaited rejection) must not
// kill the run before it reports: Auth0 would log it, so the report mentions it.
const escaped = [];
process.on('uncaughtException', (error) => escaped.push(`uncaught exception: ${error && error.message}`));
process.on('unhandledRejection', (reason) => escaped.push(`unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}`));

/** A failure of the run itself (not of the login): one line on stderr, exit status 1. */
function fail(message, redact) {
  process.stderr.write(`${redact ? redact.text(message) : message}\n`);
  process.exit(1);
}

async function main() {
  let request;
  try {
    request = JSON.parse(await readStdin());
  } catch (error) {
    fail(`runner: the request on stdin is not JSON (${error.message})`);
  }
  const { artifact, event, secrets = {}, logins = 1, json = false, resultPath } = request;
  const redact = createRedactor(secrets);
  if (typeof resultPath !== 'string' || typeof artifact !== 'string') fail('runner: the request needs artifact and resultPath');

  const fetches = recordFetches(); // before loading: the Action may keep a reference to fetch
  let action;
  try {
    action = require(path.resolve(artifact));
  } catch (error) {
    fail(`${artifact}: the Action threw while loading: ${error && error.message}`, redact);
  }
  const fullEvent = withSampleDefaults(event);
  // One warm instance: the module stays loaded and api.cache is shared between logins.
  const cache = new Map();
  const results = [];
  for (let login = 0; login < logins; login += 1) {
    const sent = fetches.requests.length;
    const result = await runLogin(action, fullEvent, { secrets, api: createApi({ cache }) });
    result.requests = fetches.requests.slice(sent);
    results.push(result);
  }
  const output = json ? `${JSON.stringify(runJson(results, secrets))}\n` : runText(results, secrets);
  const report = { output, outcomes: results.map((result) => result.outcome), warnings: escaped.map(redact.text) };
  fs.writeFileSync(resultPath, JSON.stringify(report), { mode: 0o600 });
}

main().catch((error) => fail(`runner: ${error && error.stack}`));
