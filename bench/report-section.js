'use strict';
/** Replaces one marked section of docs/benchmarks.md, keeping the rest (each benchmark owns a section). */
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const FILE = join(__dirname, '..', 'docs', 'benchmarks.md');

function writeSection(name, body) {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '# Benchmarks\n';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  const next =
    a >= 0 && b > a
      ? text.slice(0, a) + block + text.slice(b + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(FILE, next);
}

/** The marked sections of the current file, to carry over when a report rewrites the rest. */
function sectionsOf(text) {
  return [
    ...text.matchAll(/<!-- ([\w-]+):start -->[\s\S]*?<!-- \1:end -->/g)
  ].map(m => m[0]);
}

module.exports = { writeSection, sectionsOf, FILE };
