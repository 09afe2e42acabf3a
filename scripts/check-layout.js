#!/usr/bin/env node
// Fails when the layout stops telling the truth:
// - the engine's folders import only downward: cli → agent, studio → maintenance → restore →
//   backup → repository → api, state (a folder never imports one of the same rank or above);
// - a name the three workspaces share is declared once, in lcc/src/api/layout.ts, and imported
//   everywhere else (a second declaration would drift).
'use strict';
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');

const root = join(__dirname, '..');
const RANK = {
  repository: 0,
  api: -1,
  state: -1,
  backup: 1,
  restore: 2,
  maintenance: 3,
  agent: 4,
  studio: 4,
  cli: 5
};
const SHARED = ['REFERENCE_TIMESTAMP', 'RESTORE_TAG', 'STUDIO_NAME'];
const SHARED_HOME = 'lcc/src/api/layout.ts';

const files = execFileSync('git', ['ls-files', '*.ts', '*.tsx'], {
  cwd: root,
  encoding: 'utf8'
})
  .split('\n')
  .filter(f => f && !f.includes('/lib/') && !f.endsWith('.d.ts'));
const problems = [];

for (const file of files.filter(f => f.startsWith('lcc/src/'))) {
  const folder = file.split('/')[2];
  if (!(folder in RANK)) {
    continue;
  }
  const text = readFileSync(join(root, file), 'utf8');
  for (const [, spec] of text.matchAll(/from '(\.\.?\/[^']+)'/g)) {
    const target = relative(
      join(root, 'lcc/src'),
      join(root, dirname(file), spec)
    ).split('/')[0];
    if (target !== folder && target in RANK && RANK[target] >= RANK[folder]) {
      problems.push(
        `${file} imports ${spec}: ${folder}/ may import only folders below it (${target}/ is not)`
      );
    }
  }
}

for (const name of SHARED) {
  const declared = new RegExp(
    `^\\s*(export\\s+)?const\\s+${name}\\b\\s*[=:]`,
    'm'
  );
  const where = files.filter(f =>
    declared.test(readFileSync(join(root, f), 'utf8'))
  );
  const elsewhere = where.filter(f => f !== SHARED_HOME);
  if (elsewhere.length > 0 || !where.includes(SHARED_HOME)) {
    problems.push(
      `${name} must be declared once, in ${SHARED_HOME}, and imported elsewhere; declared in: ${where.join(', ') || 'nowhere'}`
    );
  }
}

for (const problem of problems) {
  console.error(problem);
}
console.log(
  problems.length === 0
    ? `layout ok: ${files.length} files, imports downward, ${SHARED.length} shared names declared once`
    : `${problems.length} layout problem(s)`
);
process.exitCode = problems.length === 0 ? 0 : 1;
