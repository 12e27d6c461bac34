/*@HEADER@*/
'use strict';

// The shim around a postlogin Action. `postlogin build` fills in the four markers below (the
// template stays valid JavaScript so it can be read and linted as it is):
//   CONFIG: the Action's name, failure policy and the policy handed to the wasm, from
//           [package.metadata.postlogin];
//   WASM:   the optimized WebAssembly module, brotli-compressed and basE91-encoded;
//   GLUE:   wasm-bindgen's generated JavaScript, patched to take the compiled module as a
//           parameter instead of reading a file next to itself;
//   HEADER: a comment saying what this file is.
const CONFIG = /*@CONFIG@*/ { action: 'template', onError: 'deny', budgetMs: 10000, policy: {} };
const WASM = /*@WASM@*/ '';

// basE91 (~1.23 characters per byte, against base64's 1.33): the wasm is most of the file and
// Auth0 caps Action code at 100 kB. Decoded once per process, so a plain loop is fast enough.
const BASE91 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,./:;<=>?@[]^_`{|}~"';

function decodeBase91(text) {
  const digits = new Uint8Array(128);
  for (let i = 0; i < BASE91.length; i++) digits[BASE91.charCodeAt(i)] = i;
  const bytes = new Uint8Array(text.length);
  let length = 0;
  let queue = 0;
  let bits = 0;
  let pending = -1;
  for (let i = 0; i < text.length; i++) {
    const digit = digits[text.charCodeAt(i)];
    if (pending < 0) {
      pending = digit;
      continue;
    }
    const value = pending + digit * 91;
    pending = -1;
    queue |= value << bits;
    bits += (value & 8191) > 88 ? 13 : 14;
    do {
      bytes[length++] = queue & 255;
      queue >>>= 8;
      bits -= 8;
    } while (bits > 7);
  }
  if (pending >= 0) bytes[length++] = (queue | (pending << bits)) & 255;
  return bytes.subarray(0, length);
}

/**
 * One instance of the Action's wasm. A Rust panic aborts, which traps (`RuntimeError:
 * unreachable`) wherever the wasm happens to be running: often in a microtask or a promise
 * callback that wasm-bindgen scheduled, where nothing of ours is on the stack and the error
 * would reach the host process uncaught. So every way into the wasm is guarded (see
 * `instantiateGlue`): a trap marks the instance dead, fails the logins running on it, and the
 * next login gets a fresh instance. A dead instance runs nothing again.
 */
class Instance {
  constructor() {
    this.trapped = false;
    this.pending = new Set(); // how to fail each login in flight on this instance
  }

  trap() {
    if (this.trapped) return;
    this.trapped = true;
    if (current === this) current = undefined;
    for (const fail of this.pending) fail('internal error (the Action trapped)');
  }

  /** An export of the wasm that cannot throw a trap at its caller. */
  guard(exported) {
    const instance = this;
    return function guarded(...args) {
      if (instance.trapped) return undefined;
      try {
        return exported.apply(this, args);
      } catch (error) {
        if (!(error instanceof globalThis.WebAssembly.RuntimeError)) throw error;
        instance.trap();
        return undefined;
      }
    };
  }
}

/** Evaluates wasm-bindgen's glue for a new instance of `wasmModule`; returns its exports. */
function instantiateGlue(wasmModule, postloginInstance) {
  const module = { exports: {} };
  const exports = module.exports;
  // The glue reaches the wasm only through `WebAssembly.Instance` and schedules its callbacks
  // with `queueMicrotask`: these two shadows are where every entry into the wasm is guarded.
  const WebAssembly = Object.create(globalThis.WebAssembly, {
    Instance: {
      value: function GuardedInstance(compiled, imports) {
        for (const functions of Object.values(imports)) {
          for (const [name, imported] of Object.entries(functions)) {
            if (typeof imported === 'function') functions[name] = handledPromises(imported);
          }
        }
        const real = new globalThis.WebAssembly.Instance(compiled, imports);
        const guarded = {};
        for (const [name, value] of Object.entries(real.exports)) {
          guarded[name] = typeof value === 'function' ? postloginInstance.guard(value) : value;
        }
        return { exports: guarded };
      },
    },
  });
  // wasm-bindgen 0.2.130 leaks one externref slot each time a `catch` import throws, and
  // `JSON.parse` throws on every non-JSON body (HTML error pages are common). Inside the glue it
  // answers `undefined` instead, which valid JSON never parses to; the SDK reads that as "not
  // JSON" (crates/postlogin/src/json.rs).
  const JSON = Object.create(globalThis.JSON, {
    parse: {
      value: (text) => {
        try {
          return globalThis.JSON.parse(text);
        } catch {
          return undefined;
        }
      },
    },
  });
  const queueMicrotask = (callback) =>
    globalThis.queueMicrotask(() => {
      try {
        callback();
      } catch (error) {
        // After a trap the glue may stumble over what the dead instance returned: expected.
        if (!postloginInstance.trapped) throw error;
      }
    });
  /*@GLUE@*/
  return module.exports;
}

/**
 * Promises the glue creates for the wasm (`then` chains, `fetch`) are awaited by Rust, but the
 * ones derived from a callback that trapped would reject with nobody listening: an unhandled
 * rejection in the host. Marking them handled changes nothing for the Rust side, which has
 * its own callbacks on them.
 */
function handledPromises(imported) {
  return function (...args) {
    const result = imported.apply(this, args);
    if (result instanceof Promise) result.catch(() => {});
    return result;
  };
}

// Compiled once per process; instantiated once and reused by every login on a warm instance,
// until it traps.
let compiledModule;
let current; // the Instance logins run on, with its glue's `exports`

/** A failure to start the Action at all: its message is safe to show (it names no data). */
class LoadError extends Error {}

function loadAction() {
  if (current === undefined) {
    try {
      if (compiledModule === undefined) {
        if (typeof WebAssembly !== 'object') throw new Error('this runtime has no WebAssembly');
        const { brotliDecompressSync } = require('zlib');
        compiledModule = new WebAssembly.Module(brotliDecompressSync(decodeBase91(WASM)));
      }
      const instance = new Instance();
      instance.exports = instantiateGlue(compiledModule, instance);
      if (instance.trapped) throw new Error('it trapped while starting');
      current = instance;
    } catch (error) {
      current = undefined;
      throw new LoadError(`cannot start its WebAssembly (${error.message})`);
    }
  }
  return current;
}

// Each command the Action recorded, applied to Auth0's real `api`; nothing else is callable.
const APPLY = {
  'accessToken.setCustomClaim': (api, [name, value]) => api.accessToken.setCustomClaim(name, value),
  'idToken.setCustomClaim': (api, [name, value]) => api.idToken.setCustomClaim(name, value),
  'access.deny': (api, [reason]) => api.access.deny(reason),
};

/** Runs the wasm handler, never longer than the budget, and never rejects. */
function runHandler(handlerName, event, api) {
  return new Promise((settle) => {
    let instance;
    const finish = (outcome) => {
      clearTimeout(timer);
      if (instance) instance.pending.delete(fail);
      settle(outcome);
    };
    const fail = (failure) => finish({ commands: [], failure });
    const timer = setTimeout(() => {
      // Whatever it awaits may never come back: later logins start on a fresh instance, and
      // this one is collected once its last login is done.
      if (current === instance) current = undefined;
      fail(`did not finish within ${CONFIG.budgetMs} ms`);
    }, CONFIG.budgetMs);
    try {
      instance = loadAction();
      instance.pending.add(fail);
      const cache = api && api.cache;
      Promise.resolve(instance.exports[handlerName](event, CONFIG.policy, cache)).then(
        (outcome) => (outcome && Array.isArray(outcome.commands) ? finish(outcome) : fail('internal error')),
        () => fail('internal error'),
      );
    } catch (error) {
      fail(error instanceof LoadError ? error.message : 'internal error');
    }
  });
}

function applyOutcome(outcome, api) {
  for (const line of outcome.logs || []) console.log(`${CONFIG.action}: ${line}`);
  let failure = outcome.failure;
  if (failure == null) {
    try {
      for (const { op, args } of outcome.commands) APPLY[op](api, args);
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

exports.onExecutePostLogin = async (event, api) => {
  applyOutcome(await runHandler('onExecutePostLogin', event, api), api);
};
