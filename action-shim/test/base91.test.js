'use strict';
// The shim's basE91 decoder is a hand-written wasm module (base91.wat) embedded as bytes in
// template.js. These tests pin the bytes to the source and the decoding to a plain reference.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { execFileSync } = require('node:child_process');

const TEMPLATE = fs.readFileSync(path.join(__dirname, '..', 'template.js'), 'utf8');
const EMBEDDED = /const BASE91_DECODER = '([A-Za-z0-9+/=]+)';/.exec(TEMPLATE)[1];
const ALPHABET = /const BASE91 = '([^']+)';/.exec(TEMPLATE)[1];

// The shim's decodeBase91, taken from the template itself, so the test runs the shipped code.
const decodeBase91 = new Function('Buffer', `${/const BASE91 = [^\n]+\n/.exec(TEMPLATE)[0]}
const BASE91_DECODER = '${EMBEDDED}';
${/function decodeBase91\(text\) \{[\s\S]+?\n\}\n/.exec(TEMPLATE)[0]}
return decodeBase91;`)(Buffer);

// basE91 as its author specified it, encoder and decoder, in plain JavaScript.
function encode(bytes) {
  let out = '';
  let queue = 0;
  let bits = 0;
  for (const byte of bytes) {
    queue |= byte << bits;
    bits += 8;
    if (bits > 13) {
      let value = queue & 8191;
      if (value > 88) {
        queue >>= 13;
        bits -= 13;
      } else {
        value = queue & 16383;
        queue >>= 14;
        bits -= 14;
      }
      out += ALPHABET[value % 91] + ALPHABET[Math.floor(value / 91)];
    }
  }
  if (bits) {
    out += ALPHABET[queue % 91];
    if (bits > 7 || queue > 90) out += ALPHABET[Math.floor(queue / 91)];
  }
  return out;
}

test('the embedded decoder is base91.wat assembled', () => {
  const wasmAs = path.join(process.env.POSTLOGIN_TOOLS || path.join(os.homedir(), '.cache', 'postlogin'), 'binaryen', 'node_modules', '.bin', 'wasm-as');
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'base91-')), 'base91.wasm');
  execFileSync(wasmAs, [path.join(__dirname, '..', 'base91.wat'), '-o', out]);
  assert.equal(fs.readFileSync(out).toString('base64'), EMBEDDED);
});

test('decoding inverts basE91 encoding, whatever the length', () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) & 255;
  for (const length of [0, 1, 2, 3, 7, 13, 14, 100, 1000, 65536, 200000]) {
    const bytes = Uint8Array.from({ length }, random);
    const decoded = decodeBase91(encode(bytes));
    assert.deepEqual(Buffer.from(decoded), Buffer.from(bytes), `length ${length}`);
  }
  assert.deepEqual(Buffer.from(decodeBase91(encode(new Uint8Array(300).fill(255)))), Buffer.alloc(300, 255));
});
