'use strict';
// Captures what an Action writes while it runs: console.* and direct process.stdout/stderr writes.
// Used to check that secrets never reach the logs (Auth0 keeps Action console output in its
// execution logs, AUTH0.md §2).
//
// Attribution matters: node:test's reporter writes to process.stdout while a login is in flight
// (its serialized events carry other tests' names and failure details). So the Action runs inside
// an AsyncLocalStorage context, and only writes made from that context (including its awaits,
// timers and callbacks) are recorded, and kept out of the real output. Every other write passes
// through untouched and unrecorded, so the runner keeps working.
// The patching is process-global, so only one capture may be active at a time.

const util = require('node:util');
const { AsyncLocalStorage } = require('node:async_hooks');

const CONSOLE_STREAMS = { log: 'stdout', info: 'stdout', debug: 'stdout', dir: 'stdout', warn: 'stderr', error: 'stderr', trace: 'stderr' };

const actionContext = new AsyncLocalStorage();
let active = false;

function chunkToText(chunk, encoding) {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
  return String(chunk);
}

// Replace obj[name] and return a function that puts the original back exactly (own property or not).
function patch(obj, name, replacement) {
  const hadOwn = Object.prototype.hasOwnProperty.call(obj, name);
  const original = obj[name];
  obj[name] = replacement;
  return () => {
    if (hadOwn) obj[name] = original;
    else delete obj[name];
  };
}

/**
 * Start capturing. Returns { run(fn), entries, text(), stop() }: call the Action through run(fn)
 * (output from anything else is not captured); entries are { stream, text } in order.
 * Always call stop() (in a finally).
 */
function startOutputCapture() {
  if (active) throw new Error('output capture already active: run one login at a time');
  active = true;
  const entries = [];
  const marker = {};
  const restorers = [];
  const fromAction = () => actionContext.getStore() === marker;

  for (const [method, stream] of Object.entries(CONSOLE_STREAMS)) {
    const original = console[method];
    restorers.push(patch(console, method, function captureConsole(...args) {
      if (!fromAction()) return original.apply(this, args);
      const body = method === 'dir' ? util.inspect(args[0], args[1]) : util.format(...args);
      entries.push({ stream, text: `${method === 'trace' ? 'Trace: ' : ''}${body}\n` });
      return undefined;
    }));
  }
  for (const stream of ['stdout', 'stderr']) {
    const target = process[stream];
    const originalWrite = target.write;
    restorers.push(patch(target, 'write', function captureWrite(chunk, encoding, callback) {
      if (!fromAction()) return originalWrite.call(target, chunk, encoding, callback);
      entries.push({ stream, text: chunkToText(chunk, encoding) });
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') process.nextTick(done);
      return true;
    }));
  }

  let stopped = false;
  return {
    run: (fn) => actionContext.run(marker, fn),
    entries,
    text: () => entries.map((entry) => entry.text).join(''),
    stop() {
      if (stopped) return;
      stopped = true;
      for (const restore of restorers.reverse()) restore();
      active = false;
    },
  };
}

module.exports = { startOutputCapture };
