'use strict';
// The code blocks of the docs, run as tests straight from the markdown: the rules of
// tests/python/doc_snippets.py, for the JavaScript blocks.
//
// Every fenced code block of a doc has a marker on the line just before it:
//   <!-- snippet: ID -->               a test runs this block
//   <!-- snippet: ID before|after -->  one half of a pair (docs/migration.md); the "after"
//                                      half needs a test
//   <!-- not run: REASON -->           cannot run here by nature
// JavaScript blocks (js, mjs, cjs, ts) belong to the Node tests, every other block to the
// Python tests.
//
//   const doc = new Doc('docs/recipes-node.md');
//   doc.test('node-db2', async () => {
//     const { connStr } = await doc.run('node-db2', { names: { host }, returns: ['connStr'], modules: { ibm_db } });
//   });
//   doc.checkTest();   // last: fails on an unmarked block, a snippet without a test, a test whose snippet is gone
//
// A snippet runs as the body of an async function (top-level await works) whose
// parameters are `names`; `require` resolves as it would for a file in docs/ (the
// package's own name, 'iamcore', and its devDependencies), except for `modules`.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { test } = require('node:test');

const ROOT = path.join(__dirname, '..', '..', '..');
const JS_LANGS = new Set(['js', 'javascript', 'mjs', 'cjs', 'ts']);
const MARKER = /^<!-- (?:snippet: ([a-z0-9][a-z0-9-]*)(?: (before|after))?|not run: (\S.*?)) -->$/;
const FENCE = /^([ \t]*)(`{3,}|~{3,})[ \t]*([^\s`]*)/;
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The fenced code blocks of a markdown text: { line, lang, code, id, role, reason, marked }. */
function parse(relPath, text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const opening = FENCE.exec(lines[i]);
    if (!opening) continue;
    const [, indentText, fence, lang] = opening;
    const indent = indentText.length;
    const closing = new RegExp(`^[ \\t]*${escapeRegExp(fence[0])}{${fence.length},}[ \\t]*$`);
    const body = [];
    let j = i + 1;
    for (; j < lines.length && !closing.test(lines[j]); j++) {
      body.push(lines[j].slice(0, indent).trim() === '' ? lines[j].slice(indent) : lines[j]);
    }
    const marker = i > 0 ? MARKER.exec(lines[i - 1].trim()) : null;
    blocks.push({
      doc: relPath,
      line: i + 1,
      lang,
      code: body.join('\n'),
      id: marker?.[1] ?? null,
      role: marker?.[2] ?? null,
      reason: marker?.[3] ?? null,
      marked: marker !== null,
      runner: JS_LANGS.has(lang) ? 'node' : 'python',
    });
    i = j;
  }
  return blocks;
}

class Doc {
  constructor(relPath, { text } = {}) {
    this.relPath = relPath;
    this.file = path.join(ROOT, relPath);
    this.blocks = parse(relPath, text ?? fs.readFileSync(this.file, 'utf8'));
    this.tests = new Map(); // snippet id -> test name
    this.require = Module.createRequire(this.file);
  }

  block(id, role = null) {
    const found = this.blocks.find((b) => b.id === id && b.role === role);
    assert.ok(found, `${this.relPath} has no snippet ${id}${role ? ` ${role}` : ''}`);
    return found;
  }

  /** Register (and declare with node:test) the test that runs snippet `id`. */
  test(id, fn) {
    assert.ok(!this.tests.has(id), `two tests run ${this.relPath} snippet ${id}`);
    const name = `${this.relPath} snippet ${id}`;
    this.tests.set(id, name);
    test(name, fn);
  }

  /** Run a JavaScript snippet with `names` defined; resolves to the values of `returns`. */
  run(id, { names = {}, returns = [], modules = {}, role = null } = {}) {
    const block = this.block(id, role);
    assert.ok(JS_LANGS.has(block.lang), `${this.relPath} snippet ${id} is not JavaScript`);
    const req = (name) => (Object.prototype.hasOwnProperty.call(modules, name) ? modules[name] : this.require(name));
    req.resolve = this.require.resolve;
    const body = `${block.code}\n;return { ${returns.join(', ')} };\n//# sourceURL=${this.relPath}:${block.line}`;
    return new AsyncFunction('require', ...Object.keys(names), body)(req, ...Object.values(names));
  }

  /** What is wrong with the markers, for the tests of `runner` ('node' or 'python'). */
  problems(runner = 'node') {
    const found = [];
    const seen = new Map();
    for (const b of this.blocks) {
      if (!b.marked) {
        found.push(`${b.doc}:${b.line}: a \`\`\`${b.lang} block without a <!-- snippet: ID --> or <!-- not run: REASON --> marker on the line before it`);
      } else if (b.id) {
        const key = `${b.id} ${b.role ?? ''}`;
        if (seen.has(key)) found.push(`${b.doc}:${b.line}: snippet ${b.id} used twice (also line ${seen.get(key)})`);
        seen.set(key, b.line);
      }
    }
    for (const key of seen.keys()) {
      const [id, role] = key.split(' ');
      if (role && !seen.has(`${id} ${role === 'after' ? 'before' : 'after'}`)) found.push(`${this.relPath}: snippet ${id} has only its ${role} half`);
    }
    const ids = new Set(this.blocks.filter((b) => b.id).map((b) => b.id));
    const own = new Set(this.blocks.filter((b) => b.id && b.role !== 'before' && b.runner === runner).map((b) => b.id));
    for (const id of [...own].sort()) if (!this.tests.has(id)) found.push(`${this.relPath}: snippet ${id} has no ${runner} test`);
    for (const [id, name] of this.tests) {
      if (!ids.has(id)) found.push(`${this.relPath}: '${name}' runs snippet ${id}, which is gone`);
      else if (!own.has(id)) found.push(`${this.relPath}: '${name}' runs snippet ${id}, which is not a ${runner} block`);
    }
    return found;
  }

  /** Declare the check of this doc's markers: call it after the doc's last `test()`. */
  checkTest() {
    test(`${this.relPath}: every code block is marked, every JavaScript snippet has a test`, () => {
      assert.deepEqual(this.problems('node'), []);
    });
  }
}

/** The iamcore package as a snippet would require it, but for the defaults that reach the
 * platform: the token authenticators get `url` (IBM's IAM) and `crTokenFilename` (the files
 * Kubernetes and Code Engine mount) from `defaults` unless the snippet gives them. */
function iamcoreWithDefaults(iamcore, defaults) {
  const shim = { ...iamcore };
  for (const name of ['IamAuthenticator', 'ContainerAuthenticator']) {
    const Base = iamcore[name];
    const own = name === 'ContainerAuthenticator' ? defaults : { url: defaults.url };
    shim[name] = {
      [name]: class extends Base {
        constructor(options = {}) {
          const filled = { ...options };
          for (const [key, value] of Object.entries(own)) if (value !== undefined && filled[key] == null) filled[key] = value;
          super(filled);
        }
      },
    }[name];
  }
  return shim;
}

module.exports = { Doc, parse, iamcoreWithDefaults, JS_LANGS };
