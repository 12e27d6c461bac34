'use strict';
/**
 * Real HTTP servers on 127.0.0.1 (ephemeral ports) standing in for the two services the
 * enrich-from-backend Action talks to:
 *   - the Auth0 token endpoint: POST /oauth/token (client credentials, JSON body)
 *   - the business backend:     GET /api/users/:email
 *
 * Each server answers with a scriptable reply and records every request it receives. A reply is
 * a spec, or a function (request) => spec, read at request time (so a test may change it):
 *   { status = 200,
 *     json,            // any JSON value, sent as application/json
 *     body,            // a string sent as is (for non-JSON answers); ignored when json is given
 *     contentType,     // overrides the content-type
 *     headers,         // extra response headers
 *     delayMs,         // answer after this many ms
 *     hang }           // true: never answer (the socket is destroyed on close())
 *
 * Bounded: listeners are unref'd, request bodies are capped, and close() clears pending replies
 * and destroys every open socket, so a hanging request can never keep the test process alive.
 * Always close() in a finally (startServers() returns one close() for both).
 */

const http = require('node:http');
const net = require('node:net');
const crypto = require('node:crypto');

const HOST = '127.0.0.1';
const MAX_BODY_BYTES = 1024 * 1024;

function randomId() {
  return crypto.randomBytes(9).toString('base64url');
}

function parseJson(text) {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { error: error.message };
  }
}

function writeReply(res, spec) {
  const status = spec.status === undefined ? 200 : spec.status;
  const isJson = spec.json !== undefined;
  const payload = isJson ? JSON.stringify(spec.json) : String(spec.body === undefined ? '' : spec.body);
  res.writeHead(status, {
    'content-type': spec.contentType || (isJson ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8'),
    'content-length': Buffer.byteLength(payload),
    ...spec.headers,
  });
  res.end(payload);
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/**
 * The shared machinery: listen, record, reply, close.
 * @param {string} name  'token' | 'backend', written into each request record
 * @param {(record) => boolean} route  enrich the record and say whether the route exists
 * @param {object|Function} reply  the initial reply
 * @param {{ next: number }} sequence  counter shared by servers to order requests across them
 */
async function startRecordingServer({ name, route, reply, sequence = { next: 1 } }) {
  const sockets = new Set();
  const timers = new Set();
  const requests = [];
  let closing;
  // Created first so the request handler can always read the current handle.reply.
  const handle = { name, port: undefined, url: undefined, requests, reply, close };

  const server = http.createServer(async (req, res) => {
    const url = req.url;
    const queryAt = url.indexOf('?');
    const record = {
      seq: sequence.next++,
      server: name,
      method: req.method,
      url, // raw, exactly as received on the request line
      path: queryAt === -1 ? url : url.slice(0, queryAt),
      query: queryAt === -1 ? '' : url.slice(queryAt + 1),
      headers: req.headers,
      rawBody: '',
      body: undefined,
    };
    requests.push(record);
    record.rawBody = await readBody(req);
    if (record.rawBody.length > 0) {
      const parsed = parseJson(record.rawBody);
      if ('value' in parsed) record.body = parsed.value;
      else record.bodyError = parsed.error;
    }
    record.routeMatched = route(record);
    if (!record.routeMatched) {
      writeReply(res, { status: 404, json: { error: 'not_found', error_description: `no route for ${req.method} ${record.path}` } });
      return;
    }
    let spec;
    try {
      spec = typeof handle.reply === 'function' ? handle.reply(record) : handle.reply;
    } catch (error) {
      record.replyError = error.message;
      writeReply(res, { status: 500, body: `reply script failed: ${error.message}` });
      return;
    }
    spec = spec || {};
    if (spec.hang) return; // never answer; close() destroys the socket
    if (spec.delayMs > 0) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) writeReply(res, spec);
      }, spec.delayMs);
      timers.add(timer);
      return;
    }
    writeReply(res, spec);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  server.unref(); // a forgotten server must not keep the process alive
  handle.port = server.address().port;
  handle.url = `http://${HOST}:${handle.port}`;
  return handle;

  function close() {
    if (!closing) {
      closing = new Promise((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
    }
    return closing;
  }
}

/**
 * The token endpoint. Default reply: 200 with { access_token, token_type, expires_in, scope },
 * where access_token is `AT-<random>` (exposed as .accessToken) so leaks are easy to spot.
 * Records: method, url, path, headers, rawBody, body (parsed JSON), bodyError.
 */
async function startTokenServer({ reply, accessToken = `AT-${randomId()}`, sequence } = {}) {
  const server = await startRecordingServer({
    name: 'token',
    sequence,
    route: (record) => record.method === 'POST' && record.path === '/oauth/token',
    reply: reply || { status: 200, json: { access_token: accessToken, token_type: 'Bearer', expires_in: 86400, scope: 'read:users' } },
  });
  server.accessToken = accessToken;
  return server;
}

/**
 * The backend. Route: GET /api/users/<one segment>. Each record also has
 * `segments` (the raw path split on '/', without the leading empty one), `rawEmail` (the raw
 * segment) and `email` (decodeURIComponent of it; undefined with `emailError` if undecodable).
 * Default reply: 200 { email, tier: 'gold' } echoing the decoded email.
 */
async function startBackendServer({ reply, sequence } = {}) {
  return startRecordingServer({
    name: 'backend',
    sequence,
    route: (record) => {
      record.segments = record.path.split('/').slice(1);
      const [api, users, rawEmail] = record.segments;
      if (record.method !== 'GET' || record.segments.length !== 3 || api !== 'api' || users !== 'users') return false;
      record.rawEmail = rawEmail;
      try {
        record.email = decodeURIComponent(rawEmail);
      } catch (error) {
        record.emailError = error.message;
      }
      return true;
    },
    reply: reply || ((request) => ({ status: 200, json: { email: request.email, tier: 'gold' } })),
  });
}

/**
 * Both servers, sharing one request sequence.
 * @returns {Promise<{ token, backend, requests: () => object[], close: () => Promise<void> }>}
 *   requests() lists every request to either server in arrival order.
 */
async function startServers({ token = {}, backend = {} } = {}) {
  const sequence = { next: 1 };
  const servers = [];
  try {
    servers.push(await startTokenServer({ ...token, sequence }));
    servers.push(await startBackendServer({ ...backend, sequence }));
  } catch (error) {
    await Promise.all(servers.map((server) => server.close()));
    throw error;
  }
  const [tokenServer, backendServer] = servers;
  return {
    token: tokenServer,
    backend: backendServer,
    requests: () => [...tokenServer.requests, ...backendServer.requests].sort((a, b) => a.seq - b.seq),
    close: () => Promise.all(servers.map((server) => server.close())).then(() => undefined),
  };
}

/**
 * A raw TCP listener that records whether clients open with a TLS ClientHello, then hangs up.
 * Lets a test prove that a bare host in auth0_domain is reached over https:// without needing a
 * certificate. `host` is '127.0.0.1:<port>' (no scheme).
 */
async function startTlsProbe() {
  const sockets = new Set();
  const connections = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', (chunk) => {
      // TLS record: content type 22 (handshake), then protocol major version 3.
      connections.push({ firstBytes: chunk.subarray(0, 8), looksLikeTls: chunk[0] === 0x16 && chunk[1] === 0x03 });
      socket.destroy();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  server.unref();
  const { port } = server.address();
  let closing;
  return {
    port,
    host: `${HOST}:${port}`,
    connections,
    close() {
      if (!closing) {
        closing = new Promise((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        });
      }
      return closing;
    },
  };
}

/** An http:// origin on 127.0.0.1 where nothing listens (the port was just released). */
async function unusedOrigin() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `http://${HOST}:${port}`;
}

module.exports = { startTokenServer, startBackendServer, startServers, startTlsProbe, unusedOrigin, randomId };
