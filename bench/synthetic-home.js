'use strict';
// A synthetic Studio home for the benchmarks: notebooks, CSVs, Python sources, a project .git,
// a pip cache (hidden: left out by the reference and by us) and a few large model checkpoints.
const { createHash } = require('node:crypto');
const { mkdirSync, writeFileSync, appendFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

function prng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

function randomBytes(size, seed) {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(`seed-${seed}`).digest();
  for (let i = 0; i < size; i += 32) {
    block.copy(out, i, 0, Math.min(32, size - i));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

const WORDS =
  'model data train test loss accuracy epoch batch feature label pandas numpy plot mean std sample value score'.split(
    ' '
  );

function text(rand, bytes) {
  const parts = [];
  let n = 0;
  while (n < bytes) {
    const w =
      WORDS[Math.floor(rand() * WORDS.length)] +
      (rand() < 0.3 ? String(Math.floor(rand() * 1000)) : '');
    parts.push(w);
    n += w.length + 1;
  }
  return parts.join(' ');
}

function put(root, rel, content) {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return content.length;
}

/** Writes the home; returns { files, bytes, churnable } where churnable lists text files to modify. */
function makeHome(root, scale = 1) {
  const rand = prng(12345);
  let files = 0;
  let bytes = 0;
  const churnable = [];
  const add = (rel, content, churn) => {
    bytes += put(root, rel, content);
    files++;
    if (churn) churnable.push(rel);
  };
  for (let i = 0; i < 2400 * scale; i++) {
    const nb = JSON.stringify(
      {
        cells: [
          { cell_type: 'code', source: text(rand, 4000) },
          { cell_type: 'markdown', source: text(rand, 2000) }
        ],
        metadata: {},
        nbformat: 4
      },
      null,
      1
    );
    add(
      `projects/p${i % 40}/notebooks/analysis-${i}.ipynb`,
      nb + text(rand, Math.floor(rand() * 60000)),
      true
    );
  }
  for (let i = 0; i < 120 * scale; i++) {
    const rows = [];
    for (let r = 0; r < 45000; r++)
      rows.push(
        `${r},${(rand() * 1000).toFixed(3)},${WORDS[r % WORDS.length]},${Math.floor(rand() * 1e6)}`
      );
    add(
      `data/raw/table-${i}.csv`,
      'id,value,label,count\n' + rows.join('\n'),
      true
    );
  }
  for (let i = 0; i < 1200 * scale; i++) {
    add(
      `projects/p${i % 40}/src/module_${i}.py`,
      `# module ${i}\n` + text(rand, 3000 + Math.floor(rand() * 3000)),
      true
    );
  }
  for (let i = 0; i < 1500 * scale; i++) {
    add(
      `projects/p${i % 40}/.git/objects/${(i % 256).toString(16).padStart(2, '0')}/obj${i}`,
      randomBytes(8000 + (i % 5000), i),
      false
    );
  }
  for (let i = 0; i < 300 * scale; i++) {
    add(`.cache/pip/wheels/w${i}.whl`, randomBytes(100000, 10000 + i), false);
  }
  for (let i = 0; i < 4 * scale; i++) {
    add(
      `models/checkpoint-${i}.pt`,
      randomBytes(60 * 1024 * 1024, 900 + i),
      false
    );
  }
  return { files, bytes, churnable };
}

/** Changes `fraction` of the churnable files (appends a line), starting at `offset`. */
function churn(root, churnable, fraction, offset) {
  const count = Math.max(1, Math.round(churnable.length * fraction));
  for (let i = 0; i < count; i++) {
    const rel = churnable[(offset * count + i) % churnable.length];
    appendFileSync(join(root, rel), `\n# changed ${offset}-${i}\n`);
  }
  return count;
}

/** Many tiny files, for the memory measurement. */
function makeTinyFiles(root, count) {
  for (let i = 0; i < count; i++) {
    put(root, `d${Math.floor(i / 1000)}/f${i}.txt`, `file ${i}\n`);
  }
}

module.exports = { makeHome, churn, makeTinyFiles };
