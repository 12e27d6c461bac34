'use strict';
/**
 * The demo's stand-ins for Auth0's token endpoint and the team's backend: real HTTP servers on
 * 127.0.0.1, and a secrets file pointing the Action at them.
 *
 *   node action-shim/demo.js SECRETS_FILE
 *
 * Writes SECRETS_FILE (JSON, mode 0600) once both servers listen, then serves until it is stopped
 * (SIGTERM, SIGINT) or its parent is gone; scripts/demo.sh runs `postlogin test` meanwhile.
 * Nothing here prints a secret or the token the endpoint issues.
 */

const fs = require('node:fs');
const { startServers } = require('./lib/servers');

async function main() {
  const secretsFile = process.argv[2];
  if (!secretsFile) {
    console.error('usage: node action-shim/demo.js SECRETS_FILE');
    process.exit(2);
  }
  const servers = await startServers({
    backend: {
      reply: (request) => ({
        status: 200,
        json: { email: request.email, plan: 'enterprise', seats: 25, features: ['sso', 'audit-log'] },
      }),
    },
  });
  const secrets = {
    auth0_domain: servers.token.url,
    client_id: 'demo-client',
    client_secret: 'demo-client-secret',
    audience: 'http://PostLoginApi',
    backend_url: servers.backend.url,
  };
  // Written under another name, then renamed: a reader never sees half a file.
  fs.writeFileSync(`${secretsFile}.partial`, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  fs.renameSync(`${secretsFile}.partial`, secretsFile);
  const stop = () => servers.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The servers are unref'd so tests never hang on them; this timer keeps the process up, and
  // ends it if the script that started it died without stopping it (it is then re-parented).
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1000);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
