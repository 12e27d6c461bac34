/*@HEADER@*/
'use strict';

// The shim around a postlogin Action. `postlogin build` fills in the four markers below (the
// template stays valid JavaScript so it can be read and linted as it is):
//   CONFIG: the Action's name and failure policy, from [package.metadata.postlogin];
//   WASM:   the optimized WebAssembly module, brotli-compressed and basE91-encoded;
//   GLUE:   wasm-bindgen's generated JavaScript, patched to take the compiled module as a
//           parameter instead of reading a file next to itself;
//   HEADER: a comment saying what this file is.
const CONFIG = /*@CONFIG@*/ { action: 'template', onError: 'deny', budgetMs: 10000 };
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

/** Evaluates wasm-bindgen's glue against `wasmModule` and returns the glue's exports. */
function instantiateGlue(wasmModule) {
  const module = { exports: {} };
  const exports = module.exports;
  /*@GLUE@*/
  return module.exports;
}

// Compiled once per process; instantiated once and reused by every login on a warm instance.
let compiledModule;
let glueExports;

/** A failure to start the Action at all: its message is safe to show (it names no data). */
class LoadError extends Error {}

function loadAction() {
  if (glueExports === undefined) {
    try {
      if (compiledModule === undefined) {
        if (typeof WebAssembly !== 'object') throw new Error('this runtime has no WebAssembly');
        const { brotliDecompressSync } = require('zlib');
        compiledModule = new WebAssembly.Module(brotliDecompressSync(decodeBase91(WASM)));
      }
      glueExports = instantiateGlue(compiledModule);
    } catch (error) {
      throw new LoadError(`cannot start its WebAssembly (${error.message})`);
    }
  }
  return glueExports;
}

// Each command the Action recorded, applied to Auth0's real `api`; nothing else is callable.
const APPLY = {
  'accessToken.setCustomClaim': (api, [name, value]) => api.accessToken.setCustomClaim(name, value),
  'idToken.setCustomClaim': (api, [name, value]) => api.idToken.setCustomClaim(name, value),
  'access.deny': (api, [reason]) => api.access.deny(reason),
};

/** Runs the wasm handler, never longer than the budget, and never rejects. */
async function runHandler(handlerName, event) {
  let timer;
  const budget = new Promise((resolve) => {
    timer = setTimeout(
      () => resolve({ commands: [], failure: `did not finish within ${CONFIG.budgetMs} ms` }),
      CONFIG.budgetMs,
    );
  });
  const run = (async () => {
    try {
      return await loadAction()[handlerName](event);
    } catch (error) {
      // A trap (a Rust panic) leaves the instance in an undefined state: the next login gets a
      // fresh one. The error's text stays out of the reason: it is not written for users.
      glueExports = undefined;
      return { commands: [], failure: failureText(error) };
    }
  })();
  try {
    return await Promise.race([run, budget]);
  } finally {
    clearTimeout(timer);
  }
}

function failureText(error) {
  if (error instanceof LoadError) return error.message;
  if (error instanceof WebAssembly.RuntimeError) return 'internal error (the Action trapped)';
  return 'internal error';
}

function applyOutcome(outcome, api) {
  if (outcome.failure != null) {
    const reason = `${CONFIG.action}: ${outcome.failure}`;
    if (CONFIG.onError === 'continue') {
      console.log(`${reason} (login continues without this Action)`);
    } else {
      api.access.deny(reason);
    }
    return;
  }
  for (const { op, args } of outcome.commands) {
    APPLY[op](api, args);
  }
}

exports.onExecutePostLogin = async (event, api) => {
  applyOutcome(await runHandler('onExecutePostLogin', event), api);
};
