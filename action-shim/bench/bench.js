'use strict';
/**
 * Benchmark and soak test of the compiled enrich-from-backend Action against the hand-written
 * best-practice baseline and the seed blog post's Action, in ONE process, against the SAME local
 * token endpoint and backend (real HTTP servers on 127.0.0.1, lib/servers.js), through the local
 * Actions runtime emulator. Run it through scripts/bench.sh, which builds the artifacts first:
 *
 *   node --expose-gc action-shim/bench/bench.js [options]      (see --help)
 *
 * Default mode measures, for each implementation:
 *   - artifact size by part (dist/enrich-from-backend/size-report.json, written by the build);
 *   - first-login time in a FRESH process (one child node per measurement, median of several);
 *   - median and p99 per-login time over N warm logins, implementations interleaved round-robin,
 *     then the median again with a user the size of a real one (identities, metadata), and
 *     again with a backend answer of a few kilobytes (roles, permissions, flags);
 *   - token requests per 1,000 logins, counted at the token server;
 *   - heap and rss growth after forced gc over many logins of the artifact.
 * --soak runs many logins through the artifacts with random faults at both servers and in the
 * Action itself (dist/fault-injection/action.js), checks every outcome against what that fault
 * must produce under the Action's own failure policy (read from its header), and fails on an
 * unexpected outcome, a hung login, heapUsed growth, or a long-lived wasm instance that keeps
 * more JavaScript values at the end than at the start (a JsValue leak, invisible to heapUsed).
 *
 * Everything is bounded: each login has a deadline, child processes are killed after a timeout,
 * the soak has a wall-clock limit, and every server is closed at the end.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { spawn, execFileSync } = require('node:child_process');
const { isDeepStrictEqual } = require('node:util');

const ROOT = path.resolve(__dirname, '..', '..');
const SHIM = path.resolve(__dirname, '..');
const { runLogin, createApi } = require(path.join(SHIM, 'emulator'));
const { startServers } = require(path.join(SHIM, 'lib', 'servers'));

const MB = 1024 * 1024;
const CLAIM = 'http://test.org/extra_info';
const FAULT_CLAIM = 'https://example.com/fault';
// Longest per-request HTTP timeout of the implementations (artifact 3 s, baseline 5 s): waiting
// this long lets every AbortSignal.timeout timer fire, so a heap snapshot does not count them.
const SETTLE_MS = 5500;
const LOGIN_DEADLINE_MS = 5000; // a login that has not settled by then is "hung"
// JavaScript values a long-lived wasm instance may hold more at the end of a soak than at its
// start, both at rest (no login in flight); a few for caches filled late, not one per login.
const MAX_LEAKED_REFS = 64; // default of --max-leaked-refs
const CHILD_TIMEOUT_MS = 30000;

// -------------------------------------------------------------------------------------------
// Options

const HELP = `usage: node --expose-gc action-shim/bench/bench.js [options]   (normally via scripts/bench.sh)

Benchmark (default mode): the compiled artifact, bench/baseline.js and bench/seed.js, interleaved
round-robin in one process against the same token endpoint and backend on 127.0.0.1.
  --logins N            warm logins per implementation for the per-login times   (default 2000);
                        as many again with a large user (a social identity, metadata),
                        and again with a large backend answer (roles, permissions)
  --warmup N            unmeasured logins per implementation first              (default 200)
  --first-login-runs N  fresh processes per implementation for the first login  (default 41)
  --memory-logins N     artifact logins for the memory-growth measurement       (default 20000)
  --memory-warmup N     artifact logins before the memory start snapshot        (default 2000)
  --memory-all          measure memory growth of the baseline and the seed too
  --out FILE            JSON results          (default dist/bench-results.json; soak: dist/soak-results.json)

Compare (--compare FILE): is the artifact faster than another build of it (FILE, e.g. a copy of
dist/enrich-from-backend/action.js from an earlier commit)? Both, the baseline and the seed, warm,
in one process, in a random order each round (--seed), each wasm made unique (a custom section),
so neither runs on code the other just warmed: V8 compiles identical wasm once per process, and a
build that always runs right after another copy finds its code warm (about 20 us per login).
  --compare FILE        the other build; prints the artifact's time minus FILE's, paired per round
  --logins N, --warmup N  as above (per implementation)

Soak (--soak): random faults, every outcome checked, memory after gc tracked.
  --soak                run the soak instead of the benchmark
  --soak-logins N       logins through the artifacts                            (default 100000)
  --soak-hangs N        logins of the fault-injection Action that hang (1 s each) (default 3)
  --soak-warmup N       logins before the start snapshot, not counted (default N/10, 2000..10000)
  --soak-report-every N memory snapshot and progress line every N logins        (default 10000)
  --soak-max-seconds S  fail if the soak takes longer than this                 (default 1800)
  --max-heap-growth-mb M  fail if heapUsed after gc grew more than this, start to end (default 2)
  --max-leaked-refs N   fail if a long-lived wasm instance holds more than N more JS values at the
                        end than at the start (default ${MAX_LEAKED_REFS})
  --seed N              seed of the fault sequence, or of --compare's order       (default 1)
  --heap-snapshots DIR  also write V8 heap snapshots at the start and the end of the soak (after gc),
                        to diff in Chrome DevTools (Memory tab, "Comparison") when the heap grows

Memory is read with process.memoryUsage() after waiting 5.5 s (every pending HTTP timeout
timer fires) and four forced gc cycles; "wasm" columns are the linear memory of the current
WebAssembly instance and the instances alive/created (counted with a FinalizationRegistry).

Both:
  --artifact FILE       the compiled Action      (default dist/enrich-from-backend/action.js)
  --fault-artifact FILE the fault-injection Action (default dist/fault-injection/action.js)
  -h, --help            this text

Faults in the soak (first request of a login gets the fault; a retry gets a normal answer; before a
token fault the Actions' clock jumps 2 days, so the reused token has expired and the fault is reached):
  token endpoint: 401 invalid_client, 500, 429 with Retry-After: 0, slow (10-50 ms, under the timeout)
  backend:        404, 500, 503 (Retry-After: 0), 200 with a non-JSON body
  fault-injection: panic, panic-after-await, hang (--soak-hangs), none
The soak fails on: an unexpected outcome or a hung login, an uncaught exception or unhandled rejection,
heapUsed growth (start to end, after gc) above the limit, or a long-lived wasm instance holding more
than --max-leaked-refs JavaScript values more at the end than at the start (a JsValue leak).
Exit status: 0 success, 1 failure (see above, or an error), 2 usage.`;

function parseArgs(argv) {
  const options = {
    logins: 2000,
    warmup: 200,
    firstLoginRuns: 41,
    memoryLogins: 20000,
    memoryWarmup: 2000,
    memoryAll: false,
    out: undefined,
    soak: false,
    soakLogins: 100000,
    soakHangs: 3,
    soakWarmup: undefined,
    soakReportEvery: 10000,
    soakMaxSeconds: 1800,
    maxHeapGrowthMb: 2,
    maxLeakedRefs: MAX_LEAKED_REFS,
    seed: 1,
    artifact: path.join(ROOT, 'dist', 'enrich-from-backend', 'action.js'),
    faultArtifact: path.join(ROOT, 'dist', 'fault-injection', 'action.js'),
  };
  const integers = {
    '--logins': ['logins', 1],
    '--warmup': ['warmup', 0],
    '--first-login-runs': ['firstLoginRuns', 1],
    '--memory-logins': ['memoryLogins', 0],
    '--memory-warmup': ['memoryWarmup', 0],
    '--soak-warmup': ['soakWarmup', 0],
    '--soak-logins': ['soakLogins', 1],
    '--soak-hangs': ['soakHangs', 0],
    '--soak-report-every': ['soakReportEvery', 1],
    '--soak-max-seconds': ['soakMaxSeconds', 1],
    '--seed': ['seed', 0],
    '--max-leaked-refs': ['maxLeakedRefs', 0],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) usage(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === '-h' || flag === '--help') {
      console.log(HELP);
      process.exit(0);
    } else if (flag in integers) {
      const [key, min] = integers[flag];
      const text = value();
      const n = Number(text);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) usage(`${flag} needs an integer >= ${min}, got ${JSON.stringify(text)}`);
      options[key] = n;
    } else if (flag === '--max-heap-growth-mb') {
      const n = Number(value());
      if (!(n > 0)) usage('--max-heap-growth-mb needs a positive number');
      options.maxHeapGrowthMb = n;
    } else if (flag === '--memory-all') options.memoryAll = true;
    else if (flag === '--soak') options.soak = true;
    else if (flag === '--out') options.out = path.resolve(value());
    else if (flag === '--heap-snapshots') options.heapSnapshots = path.resolve(value());
    else if (flag === '--artifact') options.artifact = path.resolve(value());
    else if (flag === '--fault-artifact') options.faultArtifact = path.resolve(value());
    else if (flag === '--compare') options.compare = path.resolve(value());
    else usage(`unknown option ${arg}`);
  }
  if (options.soak && options.compare) usage('--soak and --compare are different modes: give one');
  if (options.compare === options.artifact) usage('--compare needs another file than the artifact (a copy of an earlier build)');
  const kind = options.soak ? 'soak' : options.compare ? 'compare' : 'bench';
  if (options.out === undefined) options.out = path.join(ROOT, 'dist', `${kind}-results.json`);
  return options;
}

function usage(message) {
  console.error(`bench: ${message}\n\n${HELP}`);
  process.exit(2);
}

// -------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length); // nearest rank
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function stats(samples) {
  const sorted = Float64Array.from(samples).sort();
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    min: sorted[0],
    p25: percentile(sorted, 25),
    median: percentile(sorted, 50),
    p75: percentile(sorted, 75),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
    mean: sum / sorted.length,
  };
}

// A deterministic PRNG, so a soak failure can be replayed with the same --seed.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fmtMs = (ms) => (Number.isFinite(ms) ? (ms < 10 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(1)) : '-');
const fmtMb = (bytes) => `${(bytes / MB).toFixed(2)} MB`;
const fmtSignedMb = (bytes) => `${bytes >= 0 ? '+' : ''}${(bytes / MB).toFixed(2)} MB`;
const fmtSignedMs = (ms) => `${ms >= 0 ? '+' : ''}${ms.toFixed(1)}`;
const fmtInt = (n) => Number(n).toLocaleString('en-US');

function table(headers, rows, align) {
  const cells = [headers, ...rows].map((row) => row.map(String));
  const widths = headers.map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  const line = (row) => row.map((cell, c) => ((align && align[c] === 'l') ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function log(message) {
  process.stdout.write(`${message}\n`);
}

function environment() {
  const cpus = os.cpus();
  let commit;
  try {
    commit = execFileSync('git', ['-C', ROOT, 'describe', '--always', '--dirty'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    commit = undefined;
  }
  return {
    node: process.version,
    v8: process.versions.v8,
    cpu: cpus.length > 0 ? cpus[0].model.trim() : 'unknown',
    cpus: cpus.length,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    totalMemoryMb: Math.round(os.totalmem() / MB),
    loadAverageAtStart: os.loadavg().map((x) => Number(x.toFixed(2))), // other work on the machine skews times
    commit,
    date: new Date().toISOString(),
  };
}

// -------------------------------------------------------------------------------------------
// Memory: forced gc, wasm instances and their linear memory

function requireGc() {
  if (typeof globalThis.gc !== 'function') {
    console.error('bench: run node with --expose-gc (scripts/bench.sh does)');
    process.exit(2);
  }
}

/**
 * Counts WebAssembly instances (created, and still alive after gc) and remembers the linear
 * memory of the latest one per label. Installed before any artifact is loaded; the artifact's
 * shim reaches the real constructor through globalThis.WebAssembly.Instance, as Auth0's would.
 */
const wasm = {
  label: 'unknown', // which artifact is running (logins are sequential)
  created: {},
  collected: {},
  memory: {},
  tables: {},
  install() {
    const { Instance } = WebAssembly;
    const registry = new FinalizationRegistry((label) => { wasm.collected[label] = (wasm.collected[label] || 0) + 1; });
    function CountedInstance(module, imports) {
      const instance = new Instance(module, imports);
      const label = wasm.label;
      wasm.created[label] = (wasm.created[label] || 0) + 1;
      registry.register(instance, label);
      const memory = Object.values(instance.exports).find((value) => value instanceof WebAssembly.Memory);
      if (memory) wasm.memory[label] = memory; // only the latest: an old one may be collected
      // wasm-bindgen's table of JavaScript values the wasm holds (JsValue); a slot is null when free.
      const table = instance.exports.__wbindgen_externrefs;
      wasm.tables[label] = table instanceof WebAssembly.Table ? table : undefined;
      return instance;
    }
    CountedInstance.prototype = Instance.prototype;
    WebAssembly.Instance = CountedInstance;
  },
  live(label) {
    return (wasm.created[label] || 0) - (wasm.collected[label] || 0);
  },
  memoryBytes(label) {
    const memory = wasm.memory[label];
    return memory ? memory.buffer.byteLength : 0;
  },
  /** JavaScript values the latest instance holds (non-null slots of its externref table). */
  referencesHeld(label) {
    const table = wasm.tables[label];
    if (!table) return undefined;
    let held = 0;
    for (let i = 0; i < table.length; i++) if (table.get(i) !== null) held++;
    return held;
  },
};

async function collect() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve)); // lets FinalizationRegistry callbacks run
  }
}

async function memorySnapshot(labels, { settle = false } = {}) {
  if (settle) await sleep(SETTLE_MS);
  await collect();
  const usage = process.memoryUsage();
  const spaces = Object.fromEntries(require('node:v8').getHeapSpaceStatistics().map((space) => [space.space_name, space.space_used_size]));
  const snapshot = {
    heapUsed: usage.heapUsed,
    spaces,
    heapTotal: usage.heapTotal,
    rss: usage.rss,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    wasm: {},
  };
  for (const label of labels) {
    snapshot.wasm[label] = {
      liveInstances: wasm.live(label),
      createdInstances: wasm.created[label] || 0,
      linearMemoryBytes: wasm.memoryBytes(label),
      referencesHeld: wasm.referencesHeld(label),
      tableSlots: wasm.tables[label] ? wasm.tables[label].length : undefined,
    };
  }
  return snapshot;
}

// JIT output (V8's code spaces): grows while V8 optimizes, deoptimizes and re-optimizes.
function codeBytes(snapshot) {
  return Object.entries(snapshot.spaces).filter(([name]) => name.startsWith('code')).reduce((sum, [, bytes]) => sum + bytes, 0);
}

function describeSnapshot(snapshot) {
  const instances = Object.entries(snapshot.wasm)
    .map(([label, w]) => `${label}: ${w.liveInstances} live/${w.createdInstances} created, ${fmtMb(w.linearMemoryBytes)} linear, ${w.referencesHeld === undefined ? '?' : fmtInt(w.referencesHeld)} JS refs held`)
    .join('; ');
  return `heapUsed ${fmtMb(snapshot.heapUsed)} (code ${fmtMb(codeBytes(snapshot))}), rss ${fmtMb(snapshot.rss)}, external ${fmtMb(snapshot.external)}${instances ? ` | wasm ${instances}` : ''}`;
}

// -------------------------------------------------------------------------------------------
// Servers and logins shared by both modes

function loginEvent(email = 'alice@example.com', extra = {}) {
  return {
    user: {
      user_id: 'auth0|65f0c0ffee',
      email,
      email_verified: true,
      name: 'Alice Example',
      app_metadata: {},
      user_metadata: {},
      ...extra,
    },
    client: { client_id: 'app-client-id', name: 'Web App', metadata: {} },
    connection: { id: 'con_1', name: 'Username-Password-Authentication', strategy: 'auth0', metadata: {} },
    request: { ip: '203.0.113.7', method: 'POST', query: {}, body: {}, geoip: {}, hostname: 'tenant.example.test', language: 'en', user_agent: 'bench' },
    transaction: { id: 'txn_1', protocol: 'oidc-basic-profile', requested_scopes: ['openid', 'email'], locale: 'en', ui_locales: [], prompt: [] },
    stats: { logins_count: 3 },
    tenant: { id: 'tenant-id' },
  };
}

function enrichSecrets(servers) {
  return {
    auth0_domain: servers.token.url,
    client_id: 'bench-client-id',
    client_secret: 'CS-bench-client-secret-do-not-leak',
    audience: 'http://PostLoginApi',
    backend_url: servers.backend.url,
  };
}

/**
 * The user of a real tenant is larger than the bare one above: a linked social identity with its
 * profile and the provider's token, and app and user metadata. Deterministic.
 */
function largeUser() {
  return {
    picture: `https://s.gravatar.com/avatar/${'a'.repeat(32)}?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2Fal.png`,
    nickname: 'alice',
    created_at: '2024-01-02T03:04:05.000Z',
    updated_at: '2026-11-27T10:00:00.000Z',
    app_metadata: {
      plan: 'enterprise',
      roles: ['admin', 'billing', 'support'],
      flags: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`flag_${i}`, i % 2 === 0])),
      tenant_ids: Array.from({ length: 10 }, (_, i) => `tid_${i}`),
    },
    user_metadata: {
      locale: 'en-GB',
      preferences: { newsletter: true, notifications: { email: true, sms: false, push: true } },
      address: { street: '1 Example Road', city: 'London', postcode: 'N1 1AA', country: 'GB' },
    },
    identities: [
      { connection: 'Username-Password-Authentication', provider: 'auth0', user_id: '65f0c0ffee', isSocial: false },
      {
        connection: 'google-oauth2',
        provider: 'google-oauth2',
        user_id: '1029384756',
        isSocial: true,
        access_token: `ya29.${'x'.repeat(180)}`,
        expires_in: 3599,
        profileData: { email: 'alice@example.com', email_verified: true, name: 'Alice Example', given_name: 'Alice', family_name: 'Example', picture: `https://lh3.googleusercontent.com/a/${'b'.repeat(60)}`, locale: 'en' },
      },
    ],
  };
}

const backendAnswer = (email) => ({ email, tier: 'gold', roles: ['reader'], since: 2019 });

/**
 * What a backend that enriches tokens often answers: the organisation, roles with their
 * permissions, feature flags; about 3 kB. Deterministic.
 */
function largeAnswer(email) {
  return {
    email,
    tier: 'enterprise',
    organization: { id: 'org_8f3k2', name: 'Example Corp', region: 'eu-west-1', seats: 250 },
    roles: Array.from({ length: 24 }, (_, i) => ({
      id: `rol_${i}`,
      name: `role-${i}`,
      permissions: ['read:reports', 'write:reports', 'delete:reports', 'admin:billing'].slice(0, 1 + (i % 4)),
    })),
    features: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`feature_${i}`, i % 3 !== 0])),
    limits: { requests_per_minute: 600, storage_gb: 512.5, projects: 40 },
    updated_at: '2026-11-01T10:00:00.000Z',
  };
}

function clearRecords(servers) {
  // lib/servers.js records every request: a long run must not keep them (nor measure them).
  servers.token.requests.length = 0;
  servers.backend.requests.length = 0;
}

// -------------------------------------------------------------------------------------------
// Benchmark mode

const IMPLEMENTATIONS = (options) => [
  { id: 'artifact', label: 'postlogin artifact', file: options.artifact },
  { id: 'baseline', label: 'hand-written baseline', file: path.join(__dirname, 'baseline.js') },
  { id: 'seed', label: 'seed blog post (fetch)', file: path.join(__dirname, 'seed.js') },
];

/**
 * Child mode: one fresh process, one implementation, the first login (and a second, warm one).
 * With `primeUrl` the process first fetches that URL (a third server): Node loads its fetch
 * implementation (undici) lazily, at the first fetch, and that cost is then out of the Action's
 * first login, while the token endpoint and the backend still see a first connection.
 */
async function childFirstLogin() {
  const { file, secrets, event, primeUrl } = JSON.parse(process.env.POSTLOGIN_BENCH_CHILD);
  if (primeUrl) await (await fetch(primeUrl)).arrayBuffer();
  const loadStarted = performance.now();
  const action = require(file);
  const requireMs = performance.now() - loadStarted;
  const cache = new Map();
  const first = await runLogin(action, event, { secrets, api: createApi({ cache }), captureOutput: false, timeoutMs: LOGIN_DEADLINE_MS });
  const second = await runLogin(action, event, { secrets, api: createApi({ cache }), captureOutput: false, timeoutMs: LOGIN_DEADLINE_MS });
  process.stdout.write(JSON.stringify({
    requireMs,
    firstLoginMs: first.ms,
    secondLoginMs: second.ms,
    outcomes: [first.outcome, second.outcome],
    reason: first.reason || second.reason,
    claimOk: isDeepStrictEqual(first.claims.idToken[CLAIM], backendAnswer(event.user.email)),
  }));
}

function runChild(file, secrets, event, primeUrl) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Asynchronous on purpose: this process's servers must keep answering while the child runs.
    const child = spawn(process.execPath, [__filename, '--child-first-login'], {
      env: { ...process.env, POSTLOGIN_BENCH_CHILD: JSON.stringify({ file, secrets, event, primeUrl }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`child for ${path.basename(file)} exited ${signal || code}: ${stderr.slice(0, 500)}`));
      try {
        resolve({ ...JSON.parse(stdout), wallMs });
      } catch (error) {
        reject(new Error(`child for ${path.basename(file)} printed no result: ${stdout.slice(0, 200)} ${stderr.slice(0, 300)}`));
      }
    });
  });
}

/** A third origin for the children to prime fetch with (204 to everything). */
async function startPrimeServer() {
  const sockets = new Set();
  const server = http.createServer((request, response) => response.writeHead(204).end());
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  server.unref();
  return {
    url: `http://127.0.0.1:${server.address().port}/prime`,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

function readSizeReport(artifact) {
  const file = path.join(path.dirname(artifact), 'size-report.json');
  try {
    return { file, ...JSON.parse(fs.readFileSync(file, 'utf8')) };
  } catch (error) {
    return { file, error: error.message };
  }
}

/**
 * `total` rounds, each a warm login of every implementation in `loaded` in the order
 * `orderOf(round)` gives, each checked for the claim `expected`; the times of the rounds after
 * `warmup` (ms, by round) and the failed logins of each (the first three in `failures`). Counts
 * each implementation's logins and the requests its logins made.
 */
async function interleavedRounds({ loaded, orderOf, total, warmup, event, expected, secrets, servers, failures, label }) {
  const times = new Map(loaded.map((impl) => [impl, []]));
  const failed = new Map(loaded.map((impl) => [impl, 0]));
  let lastProgress = performance.now();
  for (let round = 0; round < total; round++) {
    for (const impl of orderOf(round)) {
      wasm.label = impl.id;
      const result = await runLogin(impl.action, event, { secrets, api: createApi({ cache: impl.cache }), captureOutput: false, timeoutMs: LOGIN_DEADLINE_MS });
      impl.tokenRequests += servers.token.requests.length;
      impl.backendRequests += servers.backend.requests.length;
      impl.logins++;
      clearRecords(servers);
      if (result.outcome !== 'ok' || !isDeepStrictEqual(result.claims.accessToken[CLAIM], expected) || !isDeepStrictEqual(result.claims.idToken[CLAIM], expected)) {
        failed.set(impl, failed.get(impl) + 1);
        if (failed.get(impl) <= 3) failures.push(`${impl.id}: login ${round}${label} gave ${result.outcome} (${result.reason}) instead of ok with the claim`);
      }
      if (round >= warmup) times.get(impl).push(result.ms);
    }
    if (performance.now() - lastProgress > 5000) {
      lastProgress = performance.now();
      log(`  round ${fmtInt(round + 1)}/${fmtInt(total)}`);
    }
  }
  return { times, failed };
}

// -------------------------------------------------------------------------------------------
// Compare mode

/**
 * Makes every WebAssembly module compiled from now on unique to the implementation running
 * (`wasm.label`): a custom section naming it is appended to its bytes. V8 otherwise compiles
 * identical wasm once per process and shares the code.
 */
function uniqueWasmPerLabel() {
  const { Module } = WebAssembly;
  function LabelledModule(bytes) {
    const name = Buffer.from(`postlogin-bench:${wasm.label}`);
    if (name.length > 126) throw new Error('label too long for a one-byte section size');
    const section = Buffer.concat([Buffer.from([0, name.length + 1, name.length]), name]);
    return new Module(Buffer.concat([bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes, section]));
  }
  LabelledModule.prototype = Module.prototype;
  WebAssembly.Module = LabelledModule;
}

async function compare(options, results, failures) {
  const impls = [
    { id: 'artifact', label: 'postlogin artifact', file: options.artifact },
    { id: 'other', label: `other (${path.relative(ROOT, options.compare)})`, file: options.compare },
    ...IMPLEMENTATIONS(options).filter((impl) => impl.id !== 'artifact'),
  ];
  for (const impl of impls) {
    if (!fs.existsSync(impl.file)) throw new Error(`${impl.file} does not exist`);
  }
  results.size = { files: Object.fromEntries(impls.map((impl) => [impl.id, fs.statSync(impl.file).size])) };
  const servers = await startServers({ backend: { reply: (request) => ({ status: 200, json: backendAnswer(request.email) }) } });
  try {
    const secrets = enrichSecrets(servers);
    const event = loginEvent();
    const expected = backendAnswer(event.user.email);
    wasm.install();
    uniqueWasmPerLabel();
    const loaded = impls.map((impl) => ({ ...impl, action: require(impl.file), cache: new Map(), tokenRequests: 0, backendRequests: 0, logins: 0 }));
    const random = mulberry32(options.seed);
    const total = options.warmup + options.logins;
    log(`\ncompare: ${fmtInt(options.warmup)} warm-up + ${fmtInt(options.logins)} measured logins per implementation, each round in a random order (seed ${options.seed})`);
    const orderOf = () => {
      const order = [...loaded];
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      return order;
    };
    const rounds = await interleavedRounds({ loaded, orderOf, total, warmup: options.warmup, event, expected, secrets, servers, failures, label: '' });
    const times = (id) => rounds.times.get(loaded.find((impl) => impl.id === id));
    const paired = (a, b) => stats(times(a).map((ms, round) => ms - times(b)[round]));
    results.compare = {
      other: options.compare,
      perLogin: Object.fromEntries(loaded.map((impl) => [impl.id, { ...stats(rounds.times.get(impl)), failedLogins: rounds.failed.get(impl) }])),
      overBaseline: { artifact: paired('artifact', 'baseline'), other: paired('other', 'baseline') },
      artifactOverOther: paired('artifact', 'other'),
    };
    const c = results.compare;
    log('');
    log(table(['implementation', 'warm median', 'warm p99', 'over the baseline, paired median'], loaded.map((impl) => [
      impl.label, fmtMs(c.perLogin[impl.id].median), fmtMs(c.perLogin[impl.id].p99),
      impl.id === 'artifact' || impl.id === 'other' ? `${fmtSignedMs(c.overBaseline[impl.id].median * 1000)} µs` : '',
    ]), ['l']));
    const d = c.artifactOverOther;
    log(`\nartifact minus other, median of ${fmtInt(d.n)} paired rounds: ${fmtSignedMs(d.median * 1000)} µs (middle half ${fmtSignedMs(d.p25 * 1000)} to ${fmtSignedMs(d.p75 * 1000)}).`);
  } finally {
    await servers.close();
  }
}

// Pipeline order of the parts `postlogin build` reports; any part it adds later comes after.
const PART_ORDER = [
  'wasm from wasm-pack',
  'wasm after wasm-opt',
  'wasm brotli-compressed',
  'wasm embedded (basE91 text)',
  'shim + header (minified)',
];

async function benchmark(options, results, failures) {
  const impls = IMPLEMENTATIONS(options);
  for (const impl of impls) {
    if (!fs.existsSync(impl.file)) throw new Error(`${impl.file} does not exist (build it: scripts/bench.sh)`);
  }

  // Sizes
  const sizeReport = readSizeReport(options.artifact);
  results.size = {
    report: sizeReport,
    files: Object.fromEntries(impls.map((impl) => [impl.id, fs.statSync(impl.file).size])),
  };

  const servers = await startServers({ backend: { reply: (request) => ({ status: 200, json: backendAnswer(request.email) }) } });
  try {
    const secrets = enrichSecrets(servers);
    const event = loginEvent();

    // 1. First login in a fresh process, implementations interleaved round-robin; each run does
    //    every implementation twice: in a bare process, and in one that has used fetch once.
    log(`\nfirst login in a fresh process: ${options.firstLoginRuns} x 2 child processes per implementation`);
    const prime = await startPrimeServer();
    const fresh = Object.fromEntries(impls.map((impl) => [impl.id, { cold: [], primed: [] }]));
    try {
      for (let run = 0; run < options.firstLoginRuns; run++) {
        for (let k = 0; k < impls.length; k++) {
          const impl = impls[(run + k) % impls.length];
          for (const variant of run % 2 === 0 ? ['cold', 'primed'] : ['primed', 'cold']) {
            const sample = await runChild(impl.file, secrets, event, variant === 'primed' ? prime.url : undefined);
            if (sample.outcomes.some((outcome) => outcome !== 'ok') || !sample.claimOk) {
              failures.push(`${impl.id}: fresh-process login failed (${sample.outcomes.join(', ')}: ${sample.reason})`);
            }
            fresh[impl.id][variant].push(sample);
          }
        }
        clearRecords(servers);
      }
    } finally {
      await prime.close();
    }
    results.firstLogin = {};
    // Over the baseline, paired: run r of the artifact against run r of the baseline, started
    // next to each other. The machine's speed drifts between runs more than the difference, so
    // the median of the paired differences says more than the difference of the medians.
    const overBaseline = (variant, key) =>
      stats(fresh.artifact[variant].map((sample, run) => sample[key] - fresh.baseline[variant][run][key]));
    results.firstLoginOverBaseline = {
      runs: fresh.artifact.cold.length,
      firstLoginMs: overBaseline('cold', 'firstLoginMs'),
      fetchPrimedFirstLoginMs: overBaseline('primed', 'firstLoginMs'),
      requireMs: overBaseline('cold', 'requireMs'),
    };
    for (const impl of impls) {
      const { cold, primed } = fresh[impl.id];
      const pick = (samples, key) => stats(samples.map((s) => s[key]));
      results.firstLogin[impl.id] = {
        runs: cold.length,
        requireMs: pick(cold, 'requireMs'),
        firstLoginMs: pick(cold, 'firstLoginMs'),
        loadPlusFirstLoginMs: stats(cold.map((s) => s.requireMs + s.firstLoginMs)),
        secondLoginMs: pick(cold, 'secondLoginMs'),
        processWallMs: pick(cold, 'wallMs'),
        fetchPrimed: {
          requireMs: pick(primed, 'requireMs'),
          firstLoginMs: pick(primed, 'firstLoginMs'),
          secondLoginMs: pick(primed, 'secondLoginMs'),
        },
      };
    }

    // 2. Warm per-login times and token requests, interleaved round-robin in this process; then
    //    the same with a large user (the same answer is expected: only the event grew), and
    //    with a large answer (the claims must then be that answer).
    wasm.install();
    const loaded = impls.map((impl) => ({ ...impl, action: require(impl.file), cache: new Map(), tokenRequests: 0, backendRequests: 0, logins: 0 }));
    const warmRounds = async (label, roundEvent, answerFor = backendAnswer) => {
      const expected = answerFor(roundEvent.user.email);
      const total = options.warmup + options.logins;
      log(`per-login time${label}: ${fmtInt(options.warmup)} warm-up + ${fmtInt(options.logins)} measured logins per implementation, interleaved`);
      // Rotate who goes first.
      const orderOf = (round) => loaded.map((_, k) => loaded[(round + k) % loaded.length]);
      const { times, failed } = await interleavedRounds({ loaded, orderOf, total, warmup: options.warmup, event: roundEvent, expected, secrets, servers, failures, label });
      // Round r of the artifact against round r of the baseline, as for the first login: the
      // machine's speed drifts over a run by more than the difference between the two.
      const [artifact, baseline] = ['artifact', 'baseline'].map((id) => times.get(loaded.find((impl) => impl.id === id)));
      return {
        perLogin: Object.fromEntries(loaded.map((impl) => [impl.id, { ...stats(times.get(impl)), failedLogins: failed.get(impl) }])),
        overBaseline: stats(artifact.map((ms, round) => ms - baseline[round])),
      };
    };
    const bare = await warmRounds('', event);
    results.perLogin = bare.perLogin;
    const largeEvent = { ...event, user: { ...event.user, ...largeUser() } };
    const large = await warmRounds(', large user', largeEvent);
    results.largeUser = { userBytes: JSON.stringify(largeEvent.user).length, perLogin: large.perLogin };
    const answerBefore = servers.backend.reply;
    servers.backend.reply = (request) => ({ status: 200, json: largeAnswer(request.email) });
    const answered = await warmRounds(', large answer', event, largeAnswer);
    results.largeAnswer = { answerBytes: JSON.stringify(largeAnswer(event.user.email)).length, perLogin: answered.perLogin };
    servers.backend.reply = answerBefore;
    results.warmOverBaseline = { bareUser: bare.overBaseline, largeUser: large.overBaseline, largeAnswer: answered.overBaseline };
    results.tokenRequests = {};
    for (const impl of loaded) {
      results.tokenRequests[impl.id] = {
        logins: impl.logins,
        tokenRequests: impl.tokenRequests,
        backendRequests: impl.backendRequests,
        per1000Logins: (impl.tokenRequests * 1000) / impl.logins,
      };
    }

    // 3. Memory growth over many logins of the artifact (and the others with --memory-all).
    results.memory = {};
    const memoryImpls = options.memoryAll ? loaded : loaded.filter((impl) => impl.id === 'artifact');
    if (options.memoryLogins > 0) {
      for (const impl of memoryImpls) {
        wasm.label = impl.id;
        log(`memory: ${fmtInt(options.memoryWarmup)} warm-up + ${fmtInt(options.memoryLogins)} logins of ${impl.label} (each snapshot: ${SETTLE_MS / 1000} s for pending HTTP timeouts to fire, then forced gc)`);
        for (let i = 0; i < options.memoryWarmup; i++) {
          await runLogin(impl.action, event, { secrets, api: createApi({ cache: impl.cache }), captureOutput: false, timeoutMs: LOGIN_DEADLINE_MS });
          clearRecords(servers);
        }
        const start = await memorySnapshot([impl.id], { settle: true });
        log(`  start   ${describeSnapshot(start)}`);
        const checkpoints = [];
        const every = Math.max(1, Math.ceil(options.memoryLogins / 4));
        let failed = 0;
        for (let i = 1; i <= options.memoryLogins; i++) {
          const result = await runLogin(impl.action, event, { secrets, api: createApi({ cache: impl.cache }), captureOutput: false, timeoutMs: LOGIN_DEADLINE_MS });
          clearRecords(servers);
          if (result.outcome !== 'ok') failed++;
          if (i % every === 0 && i < options.memoryLogins) {
            const snapshot = await memorySnapshot([impl.id], { settle: true });
            checkpoints.push({ logins: i, ...snapshot });
            log(`  ${fmtInt(i).padStart(7)} ${describeSnapshot(snapshot)}`);
          }
        }
        const end = await memorySnapshot([impl.id], { settle: true });
        log(`  end     ${describeSnapshot(end)}`);
        if (failed > 0) failures.push(`${impl.id}: ${failed} of the memory-phase logins failed`);
        results.memory[impl.id] = {
          logins: options.memoryLogins,
          warmupLogins: options.memoryWarmup,
          start,
          checkpoints,
          end,
          heapGrowthBytes: end.heapUsed - start.heapUsed,
          rssGrowthBytes: end.rss - start.rss,
          heapGrowthBytesPerLogin: (end.heapUsed - start.heapUsed) / options.memoryLogins,
          codeSpaceGrowthBytes: codeBytes(end) - codeBytes(start),
          failedLogins: failed,
        };
      }
    }
  } finally {
    await servers.close();
  }
  printBenchmark(results, impls);
}

function printBenchmark(results, impls) {
  const env = results.environment;
  log(`\n== postlogin benchmark — Node ${env.node} (V8 ${env.v8}), ${env.cpu} x${env.cpus}, ${env.platform}${env.commit ? `, ${env.commit}` : ''}, load average at start ${env.loadAverageAtStart.join(' ')}`);

  const report = results.size.report;
  log('\nartifact size by part (dist/enrich-from-backend/size-report.json)');
  if (report.error) {
    log(`  unavailable: ${report.error}`);
  } else {
    const parts = Object.keys(report.parts || {});
    const ordered = [...PART_ORDER.filter((p) => parts.includes(p)), ...parts.filter((p) => !PART_ORDER.includes(p))];
    const rows = ordered.map((part) => [part, fmtInt(report.parts[part])]);
    rows.push(['action.js (total)', fmtInt(report.total_bytes)], ['Auth0 limit', fmtInt(report.limit_bytes)]);
    log(table(['part', 'bytes'], rows, ['l', 'r']));
  }
  log(`source files: ${impls.map((impl) => `${impl.id} ${fmtInt(results.size.files[impl.id])} B`).join(', ')}`);

  const rows = impls.map((impl) => {
    const fresh = results.firstLogin[impl.id];
    const warm = results.perLogin[impl.id];
    const tokens = results.tokenRequests[impl.id];
    return [
      impl.label,
      fmtMs(fresh.requireMs.median),
      fmtMs(fresh.firstLoginMs.median),
      fmtMs(fresh.fetchPrimed.firstLoginMs.median),
      fmtMs(fresh.secondLoginMs.median),
      fmtMs(warm.median),
      fmtMs(warm.p99),
      fmtMs(results.largeUser.perLogin[impl.id].median),
      fmtMs(results.largeAnswer.perLogin[impl.id].median),
      tokens.per1000Logins.toFixed(tokens.per1000Logins < 10 ? 2 : 0),
    ];
  });
  const n = results.perLogin.artifact.n;
  const runs = results.firstLogin.artifact.runs;
  log(`\nper implementation, ms (fresh process: median of ${runs} child processes each; warm: ${fmtInt(n)} logins each, interleaved)`);
  log(table(['implementation', 'require', '1st login', '1st, fetch loaded', '2nd login', 'warm median', 'warm p99', 'large user', 'large answer', 'token req/1000'], rows, ['l']));
  log('require and 1st login: a fresh node process; "fetch loaded": the process fetched another origin first, so Node\'s');
  log('lazy loading of fetch (undici) is not in the login; 2nd login: the next one in the same fresh process.');
  log(`large user: the warm median again, with a user of ${fmtInt(results.largeUser.userBytes)} bytes of JSON (a social identity, metadata) instead of ${fmtInt(JSON.stringify(loginEvent().user).length)}.`);
  const ratio = (runs) => (runs.artifact.median / runs.baseline.median).toFixed(2);
  log(`large answer: the warm median again, with a backend answer of ${fmtInt(results.largeAnswer.answerBytes)} bytes (roles, permissions, flags) instead of ${fmtInt(JSON.stringify(backendAnswer(loginEvent().user.email)).length)}.`);
  log(`warm median, artifact / baseline: ${ratio(results.perLogin)}x; with the large user: ${ratio(results.largeUser.perLogin)}x; with the large answer: ${ratio(results.largeAnswer.perLogin)}x.`);
  const over = results.firstLoginOverBaseline;
  const spread = (s) => `${fmtSignedMs(s.median)} ms (middle half ${fmtSignedMs(s.p25)} to ${fmtSignedMs(s.p75)})`;
  log(`first login over the baseline, median of ${over.runs} paired runs: ${spread(over.firstLoginMs)}; fetch loaded: ${spread(over.fetchPrimedFirstLoginMs)}.`);
  const warm = results.warmOverBaseline;
  const spreadUs = (s) => `${fmtSignedMs(s.median * 1000)} µs (middle half ${fmtSignedMs(s.p25 * 1000)} to ${fmtSignedMs(s.p75 * 1000)})`;
  log(`warm login over the baseline, median of ${fmtInt(n)} paired rounds: ${spreadUs(warm.bareUser)}; large user: ${spreadUs(warm.largeUser)}; large answer: ${spreadUs(warm.largeAnswer)}.`);

  for (const [id, memory] of Object.entries(results.memory)) {
    log(`\nmemory, ${fmtInt(memory.logins)} logins of ${id} (after forced gc)`);
    const wasmCells = (w) => (w && w.createdInstances > 0 ? [fmtMb(w.linearMemoryBytes), w.referencesHeld === undefined ? '?' : fmtInt(w.referencesHeld), `${w.liveInstances}`] : ['-', '-', '-']);
    const mrows = [['start', memory.start], ...memory.checkpoints.map((c) => [fmtInt(c.logins), c]), ['end', memory.end]].map(([at, s]) => [
      at, fmtMb(s.heapUsed), fmtMb(codeBytes(s)), fmtMb(s.rss), fmtMb(s.external), ...wasmCells(s.wasm[id]),
    ]);
    log(table(['after', 'heapUsed', 'code', 'rss', 'external', 'wasm memory', 'JS refs held', 'live instances'], mrows, ['l']));
    log(`growth: heapUsed ${fmtSignedMb(memory.heapGrowthBytes)} (${(memory.heapGrowthBytesPerLogin).toFixed(1)} B/login; V8 code spaces ${fmtSignedMb(memory.codeSpaceGrowthBytes)}), rss ${fmtSignedMb(memory.rssGrowthBytes)}`);
  }
}

// -------------------------------------------------------------------------------------------
// Soak mode

// Weights of what each login does. `action` picks the Action; the fault is applied by the servers
// (token/backend) or by the event (fault-injection).
const SOAK_MIX = [
  { kind: 'enrich', fault: 'none', weight: 28 },
  { kind: 'enrich', fault: 'token-401', weight: 4 },
  { kind: 'enrich', fault: 'token-500', weight: 4 },
  { kind: 'enrich', fault: 'token-429', weight: 4 },
  { kind: 'enrich', fault: 'token-slow', weight: 1 },
  { kind: 'enrich', fault: 'backend-404', weight: 5 },
  { kind: 'enrich', fault: 'backend-500', weight: 5 },
  { kind: 'enrich', fault: 'backend-503', weight: 5 },
  { kind: 'enrich', fault: 'backend-nonjson', weight: 5 },
  { kind: 'enrich', fault: 'unverified-email', weight: 2 },
  { kind: 'fault', fault: 'none', weight: 13 },
  { kind: 'fault', fault: 'panic', weight: 12 },
  { kind: 'fault', fault: 'panic-after-await', weight: 12 },
];

const RETRYABLE = new Set([429, 502, 503, 504]);

function pickMix(random) {
  const total = SOAK_MIX.reduce((sum, entry) => sum + entry.weight, 0);
  let x = random() * total;
  for (const entry of SOAK_MIX) {
    x -= entry.weight;
    if (x < 0) return entry;
  }
  return SOAK_MIX[SOAK_MIX.length - 1];
}

/**
 * The scripted answers of the soak's servers. The current login's plan says which fault the
 * FIRST request to each server gets; any later request in the same login (a retry) gets a normal
 * answer. Every answer is recorded in the plan, so the expected outcome is derived from what the
 * Action actually saw (a token reused from memory never reaches the token endpoint).
 */
function soakReplies(state, random) {
  return {
    token: (request) => {
      const plan = state.plan;
      if (!plan) {
        state.stray.push(`token request between logins: ${request.method} ${request.path}`);
        return { status: 503, body: 'no login in progress' };
      }
      const first = plan.token.length === 0;
      const fault = first ? plan.fault : 'none';
      let spec = { status: 200, json: { access_token: state.accessToken, token_type: 'Bearer', expires_in: 86400, scope: 'read:users' } };
      if (fault === 'token-401') spec = { status: 401, json: { error: 'invalid_client', error_description: 'Unauthorized' } };
      else if (fault === 'token-500') spec = { status: 500, json: { error: 'server_error', error_description: 'Internal error' } };
      else if (fault === 'token-429') spec = { status: 429, headers: { 'retry-after': '0' }, json: { error: 'too_many_requests', error_description: 'Global limit has been reached' } };
      else if (fault === 'token-slow') spec = { ...spec, delayMs: 10 + Math.floor(random() * 41) };
      plan.token.push({ status: spec.status, delayMs: spec.delayMs || 0 });
      return spec;
    },
    backend: (request) => {
      const plan = state.plan;
      if (!plan) {
        state.stray.push(`backend request between logins: ${request.method} ${request.path}`);
        return { status: 503, body: 'no login in progress' };
      }
      const first = plan.backend.length === 0;
      const fault = first ? plan.fault : 'none';
      let spec = { status: 200, json: backendAnswer(request.email) };
      if (request.headers.authorization !== `Bearer ${state.accessToken}`) spec = { status: 401, body: 'bad bearer token' };
      else if (fault === 'backend-404') spec = { status: 404, json: { error: 'user not found' } };
      else if (fault === 'backend-500') spec = { status: 500, body: 'Internal Server Error' };
      else if (fault === 'backend-503') spec = { status: 503, headers: { 'retry-after': '0' }, body: 'Service Unavailable' };
      else if (fault === 'backend-nonjson') spec = { status: 200, body: '<html>maintenance</html>', contentType: 'text/html' };
      plan.backend.push({ status: spec.status, nonJson: fault === 'backend-nonjson', json: spec.json });
      return spec;
    },
  };
}

/**
 * What a compiled Action says about itself in its header: its name, its failure policy
 * (`on error: deny|continue`) and its time budget. The soak's expectations follow the policy.
 */
function artifactInfo(file) {
  const head = fs.readFileSync(file, 'utf8').slice(0, 2000);
  const name = /^\/\*! ([\w-]+) /.exec(head);
  const policy = /on error: (\w+); time budget: (\d+) ms/.exec(head);
  return {
    action: name ? name[1] : path.basename(path.dirname(file)),
    onError: policy ? policy[1] : 'deny',
    budgetMs: policy ? Number(policy[2]) : undefined,
  };
}

const CONTINUES = ' (login continues without this Action)';
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Checks shared by every login: `problems` collects what is wrong. A failure must follow the
 * Action's policy: "deny" denies through api.access.deny with the reason; "continue" lets the
 * login proceed with nothing applied and logs the reason once, with CONTINUES appended.
 */
function outcomeChecks(info, result, problems) {
  const reason = result.reason === undefined ? '' : String(result.reason);
  const effects = result.calls.filter((call) => !call.api.startsWith('cache.'));
  const logText = result.logs.text;
  return {
    reason,
    ok(check) {
      if (result.outcome !== 'ok') problems.push(`expected ok, got ${result.outcome}: ${reason}`);
      else if (result.threw) problems.push(`the Action threw: ${result.thrown}`);
      else check();
    },
    failed(pattern) {
      const noClaims = () => {
        if (Object.keys(result.claims.accessToken).length > 0 || Object.keys(result.claims.idToken).length > 0) problems.push('claims set on a failed login');
      };
      if (info.onError === 'continue') {
        const line = logText.replace(/\n$/, '');
        if (result.outcome !== 'ok') problems.push(`expected the login to continue (on_error = continue), got ${result.outcome}: ${reason}`);
        else if (effects.length > 0) problems.push(`expected nothing applied, got ${effects.map((call) => call.api).join(', ')}`);
        else if (!line.endsWith(CONTINUES) || line.includes('\n') || !pattern.test(line.slice(0, -CONTINUES.length))) problems.push(`expected one log line matching ${pattern} + "${CONTINUES.trim()}", got ${JSON.stringify(logText.slice(0, 200))}`);
        noClaims();
      } else {
        if (result.outcome !== 'denied' || result.deniedBy !== 'api') problems.push(`expected denied through api.access.deny, got ${result.outcome}${result.deniedBy ? ` (${result.deniedBy})` : ''}: ${reason}`);
        else if (!pattern.test(reason)) problems.push(`deny reason ${JSON.stringify(reason)} does not match ${pattern}`);
        noClaims();
      }
    },
  };
}

/** Problems with one login of the enrich artifact, given what its servers answered. */
function checkEnrich(info, plan, result, secrets, accessToken) {
  const problems = [];
  const expect = outcomeChecks(info, result, problems);
  const seen = `${expect.reason}\n${result.logs.text}\n${JSON.stringify(result.calls.filter((call) => !call.api.startsWith('cache.')).map((call) => call.args))}`;
  if (seen.includes(secrets.client_secret) || seen.includes(accessToken)) problems.push('the client secret or the access token leaked into the reason, the logs or an api call');
  for (const [service, answers] of [['token endpoint', plan.token], ['backend', plan.backend]]) {
    if (answers.length > 2) problems.push(`${answers.length} requests to the ${service} in one login (at most one retry)`);
    if (answers.length === 2 && !RETRYABLE.has(answers[0].status)) problems.push(`retried the ${service} after HTTP ${answers[0].status}, which is not retryable`);
  }
  const name = escapeRegExp(info.action);
  const claimsAre = (claim) => () => {
    const at = result.claims.accessToken[CLAIM];
    const it = result.claims.idToken[CLAIM];
    if (claim === undefined) {
      if (at !== undefined || it !== undefined) problems.push('expected no claims');
    } else if (!isDeepStrictEqual(at, claim) || !isDeepStrictEqual(it, claim)) {
      problems.push(`expected the backend answer as ${CLAIM} on both tokens`);
    }
  };

  if (plan.fault === 'unverified-email') {
    if (plan.token.length + plan.backend.length > 0) problems.push('requests made for a user without a verified email');
    expect.ok(claimsAre(undefined));
    return problems;
  }
  const lastToken = plan.token[plan.token.length - 1];
  if (lastToken && lastToken.status !== 200) {
    if (plan.backend.length > 0) problems.push('called the backend without a token');
    expect.failed(new RegExp(`^${name}: token endpoint\\b.*\\b${lastToken.status}\\b`));
    return problems;
  }
  const lastBackend = plan.backend[plan.backend.length - 1];
  if (!lastBackend) {
    problems.push(`no backend request (${result.outcome}: ${expect.reason})`);
    return problems;
  }
  if (lastBackend.status === 404) expect.ok(claimsAre(undefined));
  else if (lastBackend.status === 200 && lastBackend.nonJson) expect.failed(new RegExp(`^${name}: backend\\b`));
  else if (lastBackend.status === 200) expect.ok(claimsAre(lastBackend.json));
  else expect.failed(new RegExp(`^${name}: backend\\b.*\\b${lastBackend.status}\\b`));
  return problems;
}

/** Problems with one login of the fault-injection artifact. */
function checkFault(info, plan, result) {
  const problems = [];
  const expect = outcomeChecks(info, result, problems);
  if (plan.fault === 'none') {
    expect.ok(() => {
      if (!isDeepStrictEqual(result.claims.accessToken, { [FAULT_CLAIM]: 'none' })) problems.push(`expected the claim ${FAULT_CLAIM}="none"`);
    });
    return problems;
  }
  const budgetMs = info.budgetMs;
  const expected = plan.fault === 'hang' ? `${info.action}: did not finish within ${budgetMs} ms` : `${info.action}: internal error (the Action trapped)`;
  expect.failed(new RegExp(`^${escapeRegExp(expected)}$`));
  if (plan.fault === 'panic-after-await' && plan.probe !== 1) problems.push(`expected one probe request before the panic, saw ${plan.probe}`);
  if (plan.fault !== 'hang' && result.ms > 500) problems.push(`a trap took ${Math.round(result.ms)} ms to be reported`);
  if (plan.fault === 'hang' && (result.ms < budgetMs - 5 || result.ms > budgetMs + 250)) problems.push(`a hang was cut off after ${Math.round(result.ms)} ms, not at its ${budgetMs} ms budget`);
  return problems;
}

function writeHeapSnapshot(dir, name) {
  fs.mkdirSync(dir, { recursive: true });
  const file = require('node:v8').writeHeapSnapshot(path.join(dir, `${name}.heapsnapshot`));
  log(`  heap snapshot: ${file}`);
}

async function startProbe(state) {
  const sockets = new Set();
  const server = http.createServer((request, response) => {
    if (state.plan) state.plan.probe++;
    else state.stray.push('probe request between logins');
    response.writeHead(204).end();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  server.unref();
  return {
    url: `http://127.0.0.1:${server.address().port}/probe`,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

async function soak(options, results, failures) {
  for (const file of [options.artifact, options.faultArtifact]) {
    if (!fs.existsSync(file)) throw new Error(`${file} does not exist (build it: scripts/bench.sh)`);
  }
  const random = mulberry32(options.seed);
  const state = { plan: null, stray: [], accessToken: `AT-soak-${process.pid}-${Date.now()}` };
  const escaped = [];
  const onUncaught = (error) => escaped.push(`uncaught exception: ${error && error.message}`);
  const onUnhandled = (reason) => escaped.push(`unhandled rejection: ${reason && reason.message}`);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUnhandled);

  // A token is reused until shortly before it expires (module memory, then api.cache), so a token
  // fault only reaches an Action whose token has expired. Before each token-fault login the clock
  // the Actions see (Date.now, also behind the emulator's api.cache) jumps past any token's
  // lifetime: that login must go to the token endpoint, as the first login after expiry does.
  // The clock only moves between logins, never during one.
  const realDateNow = Date.now;
  let clockOffsetMs = 0;
  Date.now = () => realDateNow() + clockOffsetMs;
  const TOKEN_EXPIRY_JUMP_MS = 2 * 86400 * 1000; // tokens are issued with expires_in 86400

  const replies = soakReplies(state, random);
  const servers = await startServers({ token: { reply: replies.token, accessToken: state.accessToken }, backend: { reply: replies.backend } });
  let probe;
  try {
    probe = await startProbe(state);
    wasm.install();
    const enrich = require(options.artifact);
    const faulty = require(options.faultArtifact);
    const infos = { enrich: artifactInfo(options.artifact), fault: artifactInfo(options.faultArtifact) };
    results.artifacts = infos;
    const secrets = enrichSecrets(servers);
    const faultSecrets = { probe_url: probe.url };
    const caches = { enrich: new Map(), fault: new Map() };
    const labels = ['enrich', 'fault'];
    const verifiedEvent = loginEvent('alice@example.com');
    const unverifiedEvent = loginEvent('mallory@example.com', { email_verified: false });
    const faultEvents = Object.fromEntries(['none', 'panic', 'panic-after-await', 'hang'].map((fault) => [fault, { user: { user_id: 'auth0|fault', app_metadata: fault === 'none' ? {} : { fault } } }]));

    const N = options.soakLogins;
    const hangAt = new Set();
    for (let k = 1; k <= options.soakHangs; k++) hangAt.add(Math.floor((k * N) / (options.soakHangs + 1)));

    const summary = {}; // `${kind}/${fault}` -> { logins, exercised, outcomes: {reason: count}, maxMs, totalMs }
    const unexpected = [];
    let unexpectedCount = 0;
    const deadline = performance.now() + options.soakMaxSeconds * 1000;
    let timedOut = false;

    async function oneLogin(index, entry) {
      const plan = { fault: entry.fault, token: [], backend: [], probe: 0 };
      if (entry.fault.startsWith('token-')) clockOffsetMs += TOKEN_EXPIRY_JUMP_MS;
      state.plan = plan;
      let result;
      wasm.label = entry.kind;
      if (entry.kind === 'enrich') {
        const event = entry.fault === 'unverified-email' ? unverifiedEvent : verifiedEvent;
        result = await runLogin(enrich, event, { secrets, api: createApi({ cache: caches.enrich }), timeoutMs: LOGIN_DEADLINE_MS });
      } else {
        result = await runLogin(faulty, faultEvents[entry.fault], { secrets: faultSecrets, api: createApi({ cache: caches.fault }), timeoutMs: LOGIN_DEADLINE_MS });
      }
      state.plan = null;
      clearRecords(servers);
      let problems;
      if (result.outcome === 'error') problems = [`hung or failed outside the Action: ${result.reason}`];
      else problems = entry.kind === 'enrich' ? checkEnrich(infos.enrich, plan, result, secrets, state.accessToken) : checkFault(infos.fault, plan, result);
      if (state.stray.length > 0) problems.push(...state.stray.splice(0));

      const key = `${entry.kind}/${entry.fault}`;
      const row = summary[key] || (summary[key] = { logins: 0, exercised: 0, unexpected: 0, outcomes: {}, maxMs: 0, totalMs: 0 });
      row.logins++;
      const exercised = entry.fault.startsWith('token-') ? plan.token.length > 0 : entry.fault.startsWith('backend-') ? plan.backend.length > 0 : true;
      if (exercised) row.exercised++;
      row.maxMs = Math.max(row.maxMs, result.ms);
      row.totalMs += result.ms;
      let outcomeKey;
      if (result.outcome !== 'ok') outcomeKey = `${result.outcome}: ${String(result.reason).slice(0, 120)}`;
      else if (result.logs.text !== '') outcomeKey = `ok, logged "${result.logs.text.trim().slice(0, 120)}"`;
      else outcomeKey = Object.keys(result.claims.accessToken).length === 0 ? 'ok (no claims)' : 'ok + claims';
      if (outcomeKey in row.outcomes || Object.keys(row.outcomes).length < 20) row.outcomes[outcomeKey] = (row.outcomes[outcomeKey] || 0) + 1;
      else row.outcomes['(other outcomes)'] = (row.outcomes['(other outcomes)'] || 0) + 1;
      if (problems.length > 0) {
        row.unexpected++;
        unexpectedCount++;
        if (unexpected.length < 25) unexpected.push({ login: index, kind: entry.kind, fault: entry.fault, outcome: result.outcome, reason: result.reason, ms: Math.round(result.ms), token: plan.token, backend: plan.backend.map(({ status, nonJson }) => ({ status, nonJson })), problems });
      }
    }

    log(`\nsoak: ${fmtInt(N)} logins through ${path.relative(ROOT, options.artifact)} and ${path.relative(ROOT, options.faultArtifact)}, seed ${options.seed}, ${options.soakHangs} hang(s)`);
    for (const [label, info] of Object.entries(infos)) log(`  ${label}: ${info.action}, on error: ${info.onError}, budget ${info.budgetMs} ms`);
    const initial = await memorySnapshot(labels);
    log(`  initial (nothing loaded)  ${describeSnapshot(initial)}`);
    // Warm-up (not counted in growth): JIT tiers, inline caches, the wasm instances, connection
    // pools. V8 keeps optimizing and flushing code for the first few thousand logins.
    const warmup = options.soakWarmup !== undefined ? options.soakWarmup : Math.min(10000, Math.max(2000, Math.floor(N / 10)));
    for (let i = 0; i < warmup; i++) await oneLogin(-1 - i, pickMix(random));
    const start = await memorySnapshot(labels, { settle: true });
    log(`  start (after ${fmtInt(warmup)} warm-up logins, settle, gc)  ${describeSnapshot(start)}`);
    if (options.heapSnapshots) writeHeapSnapshot(options.heapSnapshots, 'soak-start');
    const checkpoints = [];
    const started = performance.now();
    let lastReport = started;
    let pausedMs = 0; // memory snapshots, not logins
    let done = 0;
    for (let i = 0; i < N; i++) {
      if (performance.now() > deadline) {
        timedOut = true;
        break;
      }
      const entry = hangAt.has(i) ? { kind: 'fault', fault: 'hang' } : pickMix(random);
      await oneLogin(i, entry);
      done = i + 1;
      if (done % options.soakReportEvery === 0 && done < N) {
        const pauseStarted = performance.now();
        const snapshot = await memorySnapshot(labels, { settle: true });
        pausedMs += performance.now() - pauseStarted;
        checkpoints.push({ logins: done, ...snapshot });
        const elapsed = (performance.now() - started - pausedMs) / 1000;
        log(`  ${fmtInt(done).padStart(7)}/${fmtInt(N)}  ${elapsed.toFixed(0)} s, ${(done / elapsed).toFixed(0)} logins/s, ${unexpectedCount} unexpected | ${describeSnapshot(snapshot)}`);
        lastReport = performance.now();
      } else if (performance.now() - lastReport > 10000) {
        const elapsed = (performance.now() - started - pausedMs) / 1000;
        log(`  ${fmtInt(done).padStart(7)}/${fmtInt(N)}  ${elapsed.toFixed(0)} s, ${(done / elapsed).toFixed(0)} logins/s, ${unexpectedCount} unexpected`);
        lastReport = performance.now();
      }
      if (unexpectedCount >= 200) {
        log('  stopping early: 200 unexpected outcomes');
        break;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const loginSeconds = (performance.now() - started - pausedMs) / 1000;
    const end = await memorySnapshot(labels, { settle: true });
    log(`  end (after ${fmtInt(done)} logins, settle, gc)  ${describeSnapshot(end)}`);
    if (options.heapSnapshots) writeHeapSnapshot(options.heapSnapshots, 'soak-end');

    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandled);
    const heapGrowth = end.heapUsed - start.heapUsed;
    const limit = options.maxHeapGrowthMb * MB;
    if (timedOut) failures.push(`the soak exceeded --soak-max-seconds ${options.soakMaxSeconds} after ${fmtInt(done)} logins`);
    if (done < N && !timedOut) failures.push(`stopped after ${fmtInt(done)} of ${fmtInt(N)} logins`);
    if (unexpectedCount > 0) failures.push(`${unexpectedCount} login(s) gave an unexpected outcome or hung`);
    if (escaped.length > 0) failures.push(`${escaped.length} uncaught exception(s) / unhandled rejection(s) reached the process: ${escaped.slice(0, 3).join('; ')}`);
    if (heapGrowth > limit) failures.push(`heapUsed after gc grew ${fmtSignedMb(heapGrowth)} (limit ${options.maxHeapGrowthMb} MB; of which V8 code spaces ${fmtSignedMb(codeBytes(end) - codeBytes(start))})`);
    // At rest (nothing in flight) a long-lived instance holds the same JavaScript values before
    // and after; more means a JsValue is never dropped, and wasm-bindgen's externref table and its
    // slab in linear memory grow forever (invisible to heapUsed when the value is small).
    const leakedRefs = {};
    for (const label of labels) {
      const before = start.wasm[label];
      const after = end.wasm[label];
      if (before.referencesHeld === undefined || after.referencesHeld === undefined || before.createdInstances !== after.createdInstances) continue;
      leakedRefs[label] = after.referencesHeld - before.referencesHeld;
      if (leakedRefs[label] > options.maxLeakedRefs) {
        failures.push(`${infos[label].action}: its wasm instance holds ${fmtInt(leakedRefs[label])} more JavaScript values (externref slots) after ${fmtInt(done)} logins than before (${(leakedRefs[label] * 1000 / done).toFixed(1)} per 1,000 logins): a JsValue is never dropped`);
      }
    }

    results.soak = {
      logins: done,
      requested: N,
      warmupLogins: warmup,
      seed: options.seed,
      hangs: options.soakHangs,
      seconds,
      loginSeconds,
      loginsPerSecond: done / loginSeconds,
      mix: SOAK_MIX,
      summary,
      unexpectedCount,
      unexpected,
      escaped: escaped.slice(0, 25),
      memory: {
        initial,
        start,
        checkpoints,
        end,
        heapGrowthBytes: heapGrowth,
        codeSpaceGrowthBytes: codeBytes(end) - codeBytes(start),
        rssGrowthBytes: end.rss - start.rss,
        heapGrowthLimitBytes: limit,
        wasmReferencesLeaked: leakedRefs,
        wasmReferencesLeakTolerance: options.maxLeakedRefs,
      },
    };
    printSoak(results.soak, results.environment);
  } finally {
    state.plan = null;
    Date.now = realDateNow;
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandled);
    await servers.close();
    if (probe) await probe.close();
  }
}

function printSoak(soakResults, env) {
  log(`\n== postlogin soak — Node ${env.node} (V8 ${env.v8}), ${env.cpu} x${env.cpus}, ${env.platform}${env.commit ? `, ${env.commit}` : ''}, load average at start ${env.loadAverageAtStart.join(' ')}`);
  log(`${fmtInt(soakResults.logins)} logins in ${soakResults.seconds.toFixed(1)} s (${soakResults.loginsPerSecond.toFixed(0)} logins/s, memory snapshots excluded), seed ${soakResults.seed}`);
  const rows = Object.entries(soakResults.summary).sort().map(([key, row]) => {
    const outcomes = Object.entries(row.outcomes).sort((a, b) => b[1] - a[1]).map(([outcome, count]) => `${count}× ${outcome}`).join(' | ');
    return [key, fmtInt(row.logins), fmtInt(row.exercised), fmtInt(row.unexpected), fmtMs(row.totalMs / row.logins), fmtMs(row.maxMs), outcomes];
  });
  log(table(['login / fault', 'logins', 'exercised', 'unexpected', 'mean ms', 'max ms', 'outcomes'], rows, ['l', 'r', 'r', 'r', 'r', 'r', 'l']));
  const m = soakResults.memory;
  const refs = (w) => (w.referencesHeld === undefined ? '?' : fmtInt(w.referencesHeld));
  const mrows = [['start', m.start], ...m.checkpoints.map((c) => [fmtInt(c.logins), c]), ['end', m.end]].map(([at, s]) => [
    at, fmtMb(s.heapUsed), fmtMb(codeBytes(s)), fmtMb(s.rss), fmtMb(s.external),
    fmtMb(s.wasm.enrich.linearMemoryBytes), refs(s.wasm.enrich), `${s.wasm.enrich.liveInstances}/${fmtInt(s.wasm.enrich.createdInstances)}`,
    fmtMb(s.wasm.fault.linearMemoryBytes), `${s.wasm.fault.liveInstances}/${fmtInt(s.wasm.fault.createdInstances)}`,
  ]);
  log('\nmemory after forced gc ("code": V8 code spaces, inside heapUsed; wasm: linear memory and JS values held by the');
  log('current instance; instances alive/created)');
  log(table(['after', 'heapUsed', 'code', 'rss', 'external', 'enrich wasm', 'enrich refs', 'enrich inst', 'fault wasm', 'fault inst'], mrows, ['l']));
  const leaked = Object.entries(m.wasmReferencesLeaked).map(([label, n]) => `${label} ${n >= 0 ? '+' : ''}${fmtInt(n)}`).join(', ');
  log(`growth start→end: heapUsed ${fmtSignedMb(m.heapGrowthBytes)} (limit ${fmtMb(m.heapGrowthLimitBytes)}; V8 code spaces ${fmtSignedMb(m.codeSpaceGrowthBytes)}), rss ${fmtSignedMb(m.rssGrowthBytes)}, JS values held by a long-lived wasm instance: ${leaked || 'n/a'} (tolerance ${m.wasmReferencesLeakTolerance})`);
  if (soakResults.unexpected.length > 0) {
    log(`\nunexpected outcomes (first ${soakResults.unexpected.length} of ${soakResults.unexpectedCount}):`);
    for (const u of soakResults.unexpected) log(`  login ${u.login} ${u.kind}/${u.fault}: ${u.problems.join('; ')}`);
  }
}

// -------------------------------------------------------------------------------------------

async function main() {
  if (process.argv[2] === '--child-first-login') return childFirstLogin();
  const options = parseArgs(process.argv.slice(2));
  requireGc();
  const results = { kind: options.soak ? 'soak' : options.compare ? 'compare' : 'benchmark', environment: environment(), options: { ...options } };
  log(`postlogin ${results.kind}: Node ${results.environment.node}, ${results.environment.cpu} x${results.environment.cpus}`);
  const failures = [];
  try {
    if (options.soak) await soak(options, results, failures);
    else if (options.compare) await compare(options, results, failures);
    else await benchmark(options, results, failures);
  } catch (error) {
    failures.push(`error: ${error && error.stack ? error.stack : error}`);
  }
  results.environment.loadAverageAtEnd = os.loadavg().map((x) => Number(x.toFixed(2)));
  results.failures = failures;
  results.ok = failures.length === 0;
  try {
    fs.mkdirSync(path.dirname(options.out), { recursive: true });
    fs.writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
    log(`\nresults written to ${path.relative(process.cwd(), options.out) || options.out}`);
  } catch (error) {
    failures.push(`could not write ${options.out}: ${error.message}`);
  }
  if (failures.length > 0) {
    console.error(`\nFAIL:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    process.exitCode = 1;
  } else {
    log('OK');
  }
  // Everything is closed; if some handle still kept the process alive, say so instead of hanging.
  setTimeout(() => {
    console.error('bench: the process did not exit 5 s after finishing (a handle is still open)');
    process.exit(process.exitCode || 1);
  }, 5000).unref();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
