'use strict';
/**
 * One login through a built Action, against a local token endpoint and backend on 127.0.0.1:
 *
 *   node action-shim/demo.js dist/enrich-from-backend/action.js
 *
 * Prints what the Action asked Auth0 to do, as the Test tab of the Auth0 editor would, for two
 * logins in a row: the second reuses the token the first one obtained.
 */

const path = require('node:path');
const { createApi, runLogin } = require('./emulator');
const { startServers } = require('./lib/servers');

async function main() {
  const artifact = process.argv[2];
  if (!artifact) {
    console.error('usage: node action-shim/demo.js ARTIFACT');
    process.exit(2);
  }
  const action = require(path.resolve(artifact));
  const servers = await startServers({
    backend: {
      reply: (request) => ({
        status: 200,
        json: { email: request.email, plan: 'enterprise', seats: 25, features: ['sso', 'audit-log'] },
      }),
    },
  });
  try {
    const event = {
      user: { user_id: 'auth0|65f0c0ffee', email: 'jürgen+demo@example.com', email_verified: true },
    };
    const secrets = {
      auth0_domain: servers.token.url,
      client_id: 'demo-client',
      client_secret: 'demo-client-secret',
      audience: 'http://PostLoginApi',
      backend_url: servers.backend.url,
    };
    // The same api.cache for both logins, as on one Auth0 tenant; the second reuses the token.
    const cache = new Map();
    for (const login of ['first', 'second']) {
      const before = servers.requests().length;
      const result = await runLogin(action, event, { secrets, api: createApi({ cache }), captureOutput: false });
      console.log(`${login} login of ${event.user.email}: ${result.outcome} in ${result.ms.toFixed(1)} ms`);
      for (const request of servers.requests().slice(before)) {
        console.log(`  ${request.method} ${request.path}`);
      }
      for (const call of result.calls) {
        // The issued token is kept in api.cache between logins; it is still never printed.
        const args = call.args.map((arg) => JSON.stringify(arg).split(servers.token.accessToken).join('[token]'));
        console.log(`  api.${call.api}(${args.join(', ')})`);
      }
      if (result.outcome !== 'ok') {
        console.log(`  reason: ${result.reason}`);
        process.exitCode = 1;
      }
    }
  } finally {
    await servers.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
