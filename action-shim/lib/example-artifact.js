'use strict';
/**
 * The compiled example Actions the node suites run: each suite names the environment variable
 * that points at its built dist/<example>/action.js, and is skipped when it is unset (a suite
 * run without the compiler, like bad-input.test.js). Set but empty is a broken test script.
 */

const path = require('node:path');

/** @returns {{ action: object|undefined, skip: string|false }} */
function loadExampleArtifact(variable, example) {
  const fromEnv = process.env[variable];
  if (fromEnv === undefined) {
    return { action: undefined, skip: `set ${variable} to the compiled dist/${example}/action.js` };
  }
  if (fromEnv.trim() === '') throw new Error(`${variable} is set but empty`);
  return { action: require(path.resolve(fromEnv)), skip: false };
}

module.exports = { loadExampleArtifact };
