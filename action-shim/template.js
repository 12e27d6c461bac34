/*@HEADER@*/
'use strict';

// The shim around a postlogin Action. `postlogin build` fills in the markers below (the
// template stays valid JavaScript so it can be read and linted as it is):
//   CONFIG: the Action's name, its handlers, failure policy and the policy handed to the wasm,
//           from [package.metadata.postlogin];
//   WASM:   the optimized WebAssembly module, brotli-compressed and basE91-encoded;
//   CALLABLE, APPLIED and the marked sections (`@name{`): what the wasm cannot use is cut out;
//   HEADER: a comment saying what this file is.
//
// The wasm never waits on JavaScript: a login runs in it until it finishes or parks requests
// (`host.fetch`, `host.sleep`) that this shim performs, then resumes it with each answer
// (crates/postlogin/src/export.rs). Text crosses as it is, or as JSON arrays (V8 parses them
// several times faster than objects); the event's parts cross one by one, when the Action
// first reads them.
const CONFIG = /*@CONFIG@*/ { action: 'template', handlers: [], onError: 'deny', budgetMs: 10000, policy: {} };
const WASM = /*@WASM@*/ '';

// Auth0's `api` methods the wasm may call for their answer while it runs, and the ones it may
// record as commands, applied once it has succeeded. Nothing else on `api` is reachable; the
// build keeps only those the Action's wasm can name (each is a string literal in the SDK).
const CALLABLE = /*@CALLABLE@*/ new Set(['cache.get', 'cache.set', 'redirect.canRedirect', 'redirect.encodeToken', 'redirect.validateToken']);
const APPLIED = /*@APPLIED@*/ new Set([
  'accessToken.setCustomClaim', 'accessToken.addScope', 'accessToken.removeScope', 'idToken.setCustomClaim',
  'access.deny', 'user.setAppMetadata', 'user.setUserMetadata', 'transaction.setMetadata',
  'multifactor.enable', 'authentication.challengeWith', 'authentication.challengeWithAny',
  'authentication.enrollWith', 'authentication.enrollWithAny', 'redirect.sendUserTo',
]);

// basE91 (~1.23 characters per byte, against base64's 1.33): the wasm is most of the file and
// Auth0 caps Action code at 100 kB. It is decoded once per process, on the first login of a
// cold start, by a 210-byte wasm module (action-shim/base91.wat, assembled by binaryen's
// wasm-as): a JavaScript loop would run there interpreted, several times slower.
const BASE91 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,./:;<=>?@[]^_`{|}~"';
const BASE91_DECODER = 'AGFzbQEAAAABBwFgAn9/AX8DAgEABQMBAAAHCQIBbQIAAWQAAAqqAQGnAQEFfyABIQMCQANAIAJBAWogAE8NASACLQCAAS0AACACLQCBAS0AAEHbAGxqIQYgBCAGIAV0ciEEIAVBDUEOIAZB/z9xQdgASxtqIQUDQCADIAQ6AAAgA0EBaiEDIARBCHYhBCAFQQhrIQUgBUEHSg0ACyACQQJqIQIMAAsACyACIABJBEAgAyAEIAItAIABLQAAIAV0cjoAACADQQFqIQMLIAMgAWsL';

function decodeBase91(text) {
  const { m: memory, d: decode } = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(BASE91_DECODER, 'base64'))).exports;
  memory.grow(Math.ceil((128 + 2 * text.length) / 65536));
  const heap = new Uint8Array(memory.buffer);
  for (let i = 0; i < BASE91.length; i++) heap[BASE91.charCodeAt(i)] = i;
  heap.set(Buffer.from(text, 'latin1'), 128);
  const out = 128 + text.length;
  return heap.subarray(out, out + decode(text.length, out));
}

/** `'a.b'` → `['a', 'b']` for each path in `paths`: split once, not on every call. */
const byPath = (paths) => new Map([...paths].map((path) => [path, path.split('.')]));
const APPLIED_METHODS = byPath(APPLIED);

/** Calls `api.a.b(...args)` by its path `'a.b'`, only for the paths in `allowed`. */
function invokeApi(api, path, allowed, args) {
  const method = allowed.get(path);
  if (method === undefined) throw new Error(`${path} is not available to the Action`);
  return api[method[0]][method[1]](...args);
}

// The login whose code the wasm is running right now (its Auth0 `api` and `event`, and the
// responses it got, for their headers): set around every call into the wasm, which never runs
// two logins at once.
let running;

// What the wasm asks of the runtime while it runs (`instantiate` below carries the text).
// @host.call{
const CALLABLE_METHODS = byPath(CALLABLE);
/** Auth0's `api.<path>(...args)` for the login being run: `{"v": result}` or `{"e": message}`. */
function callApi(path, argsJson) {
  try {
    const value = invokeApi(running.api, path, CALLABLE_METHODS, JSON.parse(argsJson));
    return JSON.stringify({ v: value === undefined ? null : value });
  } catch (error) {
    return JSON.stringify({ e: String((error && error.message) || error) });
  }
}
// @host.call}
// @host.part{
/** The part of the login's event at `path`, `[part]` or `[part, key]`. */
const partOf = (path) => (path.length > 1 ? running.event[path[0]]?.[path[1]] : running.event[path[0]]);

/**
 * A part of the login's event as JSON text: '' when undefined, '!' when it is not JSON (a
 * cycle, a BigInt).
 */
function eventPart(path) {
  try {
    return JSON.stringify(partOf(path)) ?? '';
  } catch {
    return '!';
  }
}
// @host.part}
// @host.member{
// What `host.member` answers (crates/postlogin/src/host/runtime.rs): of a member, how it
// crossed, if at all; of a part (asked with no key), what it is.
const MEMBER_ABSENT = 0; // undefined or null
const MEMBER_TEXT = 1; // a string, written in
const MEMBER_JSON = 2; // any other value, written in as JSON
const MEMBER_TRUE = 3;
const MEMBER_FALSE = 4;
const MEMBER_OBJECT = 5; // the part is an object: its members can be asked for
const MEMBER_NOT_JSON = 6; // a cycle, a BigInt, a getter that throws
const MEMBER_OTHER = 7; // the part is not an object: it crosses as JSON, to be refused
// @host.member}
// @host.secrets{
/**
 * Whether `secrets` has exactly the members `sent` lists (`[name, value, …]`, only strings), in
 * the same order: then they need not cross again (crates/postlogin/src/event.rs).
 */
function sameSecrets(secrets, sent) {
  if (sent === undefined || secrets === null || typeof secrets !== 'object') return false;
  const names = Object.keys(secrets);
  if (names.length * 2 !== sent.length) return false;
  for (let i = 0; i < names.length; i++) {
    if (names[i] !== sent[2 * i] || secrets[names[i]] !== sent[2 * i + 1]) return false;
  }
  return true;
}
// @host.secrets}
// @host.headers{
/** The headers of the login's answer to `request`, a line `name:value` each. */
function answerHeaders(request) {
  let lines = '';
  for (const [name, value] of running.responses?.get(request)?.headers ?? []) lines += `${name}:${value}\n`;
  return lines;
}
// @host.headers}

/**
 * A new instance of `wasmModule`, its exports taking and answering strings. The text crosses as
 * crates/postlogin/src/abi.rs describes (this is its other half): into the wasm, written where
 * its `postlogin_alloc` says; out of an export, as the address of a `[ptr, len]` pair; out of
 * an import, written in, its address stored at `out` and its length returned.
 */
function instantiate(wasmModule) {
  let wasm;
  // A Buffer over the wasm's memory reads and writes text in place, and a DataView its
  // addresses and lengths (a builtin call each, where Buffer's integer methods are several
  // JavaScript calls until V8 optimizes them), without a view per call. Memory growth detaches
  // both (the Buffer's length drops to 0): only then are new ones made, together.
  let memory = Buffer.alloc(0);
  let view;
  const heap = () => {
    if (memory.length === 0) {
      memory = Buffer.from(wasm.memory.buffer);
      view = new DataView(wasm.memory.buffer);
    }
    return memory;
  };
  const words = () => {
    heap();
    return view;
  };
  const textAt = (at, len) => heap().toString('utf8', at, at + len);
  // `text`, of `len` (`Buffer.byteLength`) bytes, written in: where. Empty text needs no
  // room: `(0, 0)` (`abi::take` reads no memory for it).
  const textIn = (text, len) => {
    if (len === 0) return 0;
    const at = wasm.postlogin_alloc(len);
    heap().write(text, at, len, 'utf8');
    return at;
  };
  const give = (text, out) => {
    const len = Buffer.byteLength(text);
    const at = textIn(text, len); // first: it may grow the memory, which detaches the views
    words().setUint32(out, at, true);
    return len;
  };
  // @host.part{
  // (An Action that asks for members asks for parts too: a part that is not an object
  // crosses as JSON.) A part's path and a member's key are constants in the wasm: read once
  // per address, not per login. The length is checked too, in case one name's bytes start
  // another's.
  const names = new Map();
  const nameAt = (at, len) => {
    let name = names.get(at);
    if (name?.length !== len) names.set(at, (name = textAt(at, len)));
    return name;
  };
  const paths = new Map();
  const pathAt = (at, len) => {
    let path = paths.get(at);
    if (path?.len !== len) paths.set(at, (path = Object.assign(textAt(at, len).split('.'), { len })));
    return path;
  };
  // @host.part}
  // @host.secrets{
  // The secrets this instance was last sent, `[name, value, …]`: every login of a warm instance
  // carries the same ones. Undefined when they were not all strings: never the same, then.
  let sentSecrets;
  // @host.secrets}
  // An export's answer: its text, or the id of the task that waits (`[0, id]`).
  const answer = (pair) => {
    const at = words().getUint32(pair, true);
    const len = words().getUint32(pair + 4, true);
    return at === 0 ? len : textAt(at, len);
  };
  wasm = new WebAssembly.Instance(wasmModule, {
    host: {
      // @host.call{
      call: (path, pathLen, args, argsLen, out) => give(callApi(textAt(path, pathLen), textAt(args, argsLen)), out),
      // @host.call}
      // @host.part{
      part: (name, nameLen, out) => give(eventPart(pathAt(name, nameLen)), out),
      // @host.part}
      // @host.member{
      member: (part, partLen, key, keyLen, out) => {
        let value;
        let code = MEMBER_TEXT;
        try {
          value = partOf(pathAt(part, partLen));
          if (keyLen === 0) {
            if (value === undefined || value === null) return MEMBER_ABSENT;
            return typeof value === 'object' && !Array.isArray(value) ? MEMBER_OBJECT : MEMBER_OTHER;
          }
          value = value[nameAt(key, keyLen)];
          switch (typeof value) {
            case 'string':
              break;
            case 'boolean':
              return value ? MEMBER_TRUE : MEMBER_FALSE;
            case 'undefined':
              return MEMBER_ABSENT;
            default:
              if (value === null) return MEMBER_ABSENT;
              value = JSON.stringify(value);
              if (value === undefined) return MEMBER_ABSENT; // a function: JSON leaves it out
              code = MEMBER_JSON;
          }
        } catch {
          return MEMBER_NOT_JSON;
        }
        const len = give(value, out);
        words().setUint32(out + 4, len, true);
        return code;
      },
      // @host.member}
      // @host.secrets{
      // The login's secrets as JSON text, as `host.part` answers a part, or -1 (`usize::MAX`
      // in the wasm) when they are the ones last sent.
      secrets: (out) => {
        let text;
        try {
          const secrets = running.event.secrets;
          if (sameSecrets(secrets, sentSecrets)) return -1;
          const entries = secrets !== null && typeof secrets === 'object' ? Object.entries(secrets) : undefined;
          sentSecrets = entries?.every(([, value]) => typeof value === 'string') ? entries.flat() : undefined;
          text = JSON.stringify(secrets) ?? '';
        } catch {
          sentSecrets = undefined;
          text = '!';
        }
        return give(text, out);
      },
      // @host.secrets}
      // @host.headers{
      headers: (request, out) => give(answerHeaders(request), out),
      // @host.headers}
      // @host.fetch{
      fetch: (request, url, urlLen, method, methodLen, headers, headersLen, body, bodyLen, timeout, max) => {
        const bodyText = bodyLen === -1 ? null : textAt(body, bodyLen); // -1: `usize::MAX`, no body
        running.parked.push([request, 'fetch', textAt(url, urlLen), textAt(method, methodLen), JSON.parse(textAt(headers, headersLen)), bodyText, timeout, max]);
      },
      // @host.fetch}
      // @host.sleep{
      sleep: (request, ms) => void running.parked.push([request, 'sleep', ms]),
      // @host.sleep}
      // @host.parseFloat{
      parseFloat: (text, len) => parseFloat(textAt(text, len)),
      // @host.parseFloat}
      // @host.String{
      String: (number, out) => give(String(number), out),
      // @host.String}
    },
    // wasm-bindgen's one import: its externref table's reserved slots, as its glue fills them
    // (the build checks the glue still does exactly this).
    './action_bg.js': {
      __wbindgen_init_externref_table() {
        const table = wasm.__wbindgen_externrefs;
        table.set(0, undefined);
        table.set(1024, undefined);
        table.set(1025, null);
        table.set(1026, true);
        table.set(1027, false);
      },
    },
  }).exports;
  wasm.__wbindgen_start();
  const exports = {
    configure: wasm.postlogin_configure,
    cancel: wasm.postlogin_cancel,
    // @resume{
    // `body`: the answer's bytes (`readBody`), or '' when there are none. Copied in as they
    // came: no decoding into a string and encoding back.
    resume: (task, id, status, body, now) => {
      const len = body.length;
      const at = len === 0 ? 0 : wasm.postlogin_alloc(len);
      if (len > 0) heap().set(body, at);
      return answer(wasm.postlogin_resume(task, id, status, at, len, now));
    },
    // @resume}
  };
  for (const handler of CONFIG.handlers) {
    const run = wasm[handler];
    exports[handler] = (event, audience, now) => {
      const eventLen = Buffer.byteLength(event);
      const eventAt = textIn(event, eventLen);
      const audienceLen = Buffer.byteLength(audience);
      return answer(run(eventAt, eventLen, textIn(audience, audienceLen), audienceLen, now));
    };
  }
  return exports;
}

/**
 * One instance of the Action's wasm, reused by every login on a warm Actions instance. A Rust
 * panic aborts, which traps (`RuntimeError: unreachable`) inside one of our calls into the
 * wasm: the instance is then dead, the next login gets a fresh one, and each login that was
 * running on it fails at its next step (when what it waits for comes, by its budget).
 */
class Instance {
  constructor(wasmModule) {
    this.dead = false;
    this.exports = instantiate(wasmModule);
    const policy = CONFIG.policy;
    this.exports.configure(policy.budgetMs, policy.requestTimeoutMs, policy.retries, policy.allowInsecureHttp, policy.maxResponseBytes);
  }

  /**
   * Calls into the wasm for `login`; its answer (the outcome, or the id of the task that waits),
   * or undefined once the instance is dead.
   */
  enter(login, call) {
    if (this.dead) return undefined;
    running = login;
    try {
      const answer = call(this.exports);
      return typeof answer === 'number' ? answer : JSON.parse(answer);
    } catch (error) {
      if (!(error instanceof WebAssembly.RuntimeError)) throw error;
      this.dead = true;
      if (current === this) current = undefined;
      return undefined;
    } finally {
      running = undefined;
    }
  }
}

const TRAPPED = 'internal error (the Action trapped)';

let compiledModule; // compiled once per process
let current; // the Instance new logins run on

/** A failure to start the Action at all: its message is safe to show (it names no data). */
class LoadError extends Error {}

function loadInstance() {
  if (current === undefined) {
    try {
      if (compiledModule === undefined) {
        if (typeof WebAssembly !== 'object') throw new Error('this runtime has no WebAssembly');
        const { brotliDecompressSync } = require('zlib');
        compiledModule = new WebAssembly.Module(brotliDecompressSync(decodeBase91(WASM)));
      }
      current = new Instance(compiledModule);
    } catch (error) {
      current = undefined;
      throw new LoadError(`cannot start its WebAssembly (${error.message})`);
    }
  }
  return current;
}

// @resume{
// What a request came to when it has no HTTP status (crates/postlogin/src/host/runtime.rs).
const TIMED_OUT = -1;
const TOO_LARGE = -2;
const NETWORK_FAILED = -3;
// The shim's own: the login's budget ran out first. Never handed to the wasm.
const OUT_OF_BUDGET = -4;

/**
 * Performs one parked request, `[id, kind, …]` (crates/postlogin/src/host/runtime.rs), waiting
 * at most `left` ms (whole), what is left of the login's budget; answers `[id, status, body]`,
 * plus the response for a fetch, and never rejects. The build keeps the part for each kind of
 * request only if the Action's wasm can name it (an Action without HTTP carries no `fetch`
 * code at all), and none when it cannot park any (it has no `postlogin_resume`).
 */
function perform(request, left) {
  // @host.sleep{
  if (request[1] === 'sleep') {
    const ms = request[2];
    return new Promise((resolve) => setTimeout(resolve, Math.min(ms, left), [request[0], ms <= left ? 0 : OUT_OF_BUDGET, '']));
  }
  // @host.sleep}
  // @host.fetch{
  if (request[1] === 'fetch') return performFetch(request, left);
  // @host.fetch}
  return Promise.resolve([request[0], NETWORK_FAILED, '']); // a kind of request this build cannot perform
}

// @host.fetch{
/**
 * The status, or the failure (`TIMED_OUT`, `TOO_LARGE`, `NETWORK_FAILED`, `OUT_OF_BUDGET`); the
 * response stays here until the wasm reads one of its headers (`host.headers`). A redirect is
 * an answer to report, not to follow (it would carry the bearer token wherever it points).
 * `request` is `[id, 'fetch', url, method, [name, value, …], body or null, timeout ms, max
 * bytes]` (`host.fetch`), read by index as `runHandler` reads its reply.
 */
async function performFetch(request, left) {
  const id = request[0];
  const headerList = request[4];
  const body = request[5];
  const timeout = request[6];
  const max = request[7];
  const budgetFirst = left < timeout;
  const signal = AbortSignal.timeout(budgetFirst ? left : timeout);
  try {
    // An object, as hand-written Actions pass them: fetch reads that form faster than a list
    // of pairs until V8 optimizes it (about 2 µs per login). A name given twice is sent once
    // with both values, as fetch sends a list of pairs. (fetch drops `__proto__` either way.)
    const headers = {};
    for (let i = 0; i < headerList.length; i += 2) {
      const name = headerList[i];
      headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${headerList[i + 1]}` : headerList[i + 1];
    }
    const init = { method: request[3], headers, redirect: 'manual', signal };
    if (body !== null) init.body = body;
    const response = await fetch(request[2], init);
    const bytes = await readBody(response, max);
    return bytes === undefined ? [id, TOO_LARGE, ''] : [id, response.status, bytes, response];
  } catch {
    return [id, !signal.aborted ? NETWORK_FAILED : budgetFirst ? OUT_OF_BUDGET : TIMED_OUT, ''];
  }
}

/**
 * The body of `response` as bytes, read as it comes: undefined as soon as more than `max` bytes
 * came, declared or not (the rest is never read, so a runaway answer cannot fill the memory).
 * As `response.text()` would read it, without making a string of it (the wasm takes the bytes
 * and decodes them as text() would: `abi::take_answer`) and about 10 µs faster per login; a
 * leading byte order mark is dropped, as text() drops it.
 */
async function readBody(response, max) {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks = [];
  let length = 0;
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) break;
    length += chunk.value.length;
    if (length > max) {
      reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(chunk.value);
  }
  let bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  return bytes;
}
// @host.fetch}
// @resume}

/**
 * A login's first call into the wasm: its outcome, the id of its task when it waits on
 * requests it parked (in `login.parked`: crates/postlogin/src/export.rs), or undefined if the
 * instance trapped.
 */
function begin(handler, event, login) {
  // An object's parts cross when the Action reads them (`host.part`); anything else crosses
  // whole, for the wasm to refuse.
  let eventJson = '';
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    try {
      eventJson = JSON.stringify(event);
    } catch {
      // A BigInt: Auth0's own events are JSON.
    }
    if (typeof eventJson !== 'string') return ['malformed event: not JSON', []];
  }
  const audience = String((event && event.resource_server && event.resource_server.identifier) || '');
  try {
    login.instance = loadInstance();
  } catch (error) {
    return [error instanceof LoadError ? error.message : 'internal error', []];
  }
  return login.instance.enter(login, (wasm) => wasm[handler](eventJson, audience, Date.now()));
}

/**
 * Runs one login, within the budget, and applies its outcome; never rejects. While the wasm
 * waits (it answers its task's id), performs what it parked and resumes it with each answer.
 * No wait outlasts the budget, so no timer has to watch the login: when the budget runs out,
 * the login is dropped inside the wasm too, and fails.
 */
async function runHandler(handler, event, api) {
  let outcome;
  try {
    // @resume{
    const deadline = performance.now() + CONFIG.budgetMs;
    // @resume}
    // What the imports read (`running`): the requests the wasm parks (`host.fetch`…) go into
    // `parked`, and are performed only if the call returns waiting.
    const login = { api, event, responses: undefined, instance: undefined, parked: [] };
    let state = begin(handler, event, login);
    // @resume{
    const ids = []; // of the requests in flight, in the order of `answers`
    const answers = [];
    while (typeof state === 'number') {
      const task = state;
      const left = Math.max(0, Math.ceil(deadline - performance.now())); // whole ms: AbortSignal.timeout takes no other
      for (let i = 0; i < login.parked.length; i++) {
        ids.push(login.parked[i][0]);
        answers.push(perform(login.parked[i], left));
      }
      login.parked.length = 0;
      // `[id, status, body, response]`, read by index: destructuring runs the iterator
      // protocol until V8 optimizes this function, which takes it a few thousand logins.
      const reply = await (answers.length === 1
        ? answers[0]
        : answers.length > 1
          ? Promise.race(answers)
          : new Promise((resolve) => setTimeout(resolve, left, [-1, OUT_OF_BUDGET]))); // a future that never wakes
      const id = reply[0];
      const status = reply[1];
      if (status === OUT_OF_BUDGET) {
        login.instance.enter(login, (wasm) => (wasm.cancel(task), 'null'));
        state = [`did not finish within ${CONFIG.budgetMs} ms`, []];
        break;
      }
      const slot = ids.indexOf(id);
      ids.splice(slot, 1);
      answers.splice(slot, 1);
      // @host.headers{
      if (reply[3]) (login.responses ??= new Map()).set(id, reply[3]);
      // @host.headers}
      state = login.instance.enter(login, (wasm) => wasm.resume(task, id, status, reply[2], Date.now()));
    }
    // @resume}
    // @no-resume{
    if (typeof state === 'number') {
      // Waiting, in a build that performs no request (its wasm parks none, so it has no
      // `resume`): nothing can wake the task.
      login.instance.enter(login, (wasm) => (wasm.cancel(state), 'null'));
      state = ['did not finish: it waits on nothing that can wake it', []];
    }
    // @no-resume}
    outcome = state ?? [TRAPPED, []];
  } catch {
    outcome = ['internal error', []]; // a bug in this shim: the login fails, as the policy says
  }
  applyOutcome(outcome, api);
}

/**
 * Applies `[failure or null, [log…], command…]`, each command `[api, same or null, arg…]`
 * (crates/postlogin/src/outcome.rs).
 */
function applyOutcome(outcome, api) {
  let failure = outcome[0];
  const logs = outcome[1];
  for (let i = 0; i < logs.length; i++) console.log(`${CONFIG.action}: ${logs[i]}`);
  if (failure === null) {
    try {
      for (let i = 2; i < outcome.length; i++) {
        const command = outcome[i];
        const args = command.slice(2);
        // A value the wasm passed on as text comes once: a later command setting it names the
        // first one, and gets the same value.
        if (command[1] !== null) args.push(outcome[2 + command[1]].at(-1));
        invokeApi(api, command[0], APPLIED_METHODS, args);
      }
      return;
    } catch (error) {
      // Auth0 refusing a call the Action's checks allowed: the calls before it stay applied
      // (Auth0 has no undo), and the policy decides about the login.
      failure = `Auth0 refused a call (${error && error.message})`;
    }
  }
  const reason = `${CONFIG.action}: ${failure}`;
  if (CONFIG.onError === 'continue') {
    console.log(`${reason} (login continues without this Action)`);
  } else {
    api.access.deny(reason);
  }
}

for (const handler of CONFIG.handlers) {
  exports[handler] = (event, api) => runHandler(handler, event, api);
}
