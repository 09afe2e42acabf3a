#!/usr/bin/env node
// Fails when the layout stops telling the truth:
// - the engine's folders import only downward: cli → agent, studio → maintenance → restore →
//   backup, browse → repository → api, state, progress (a folder never imports one of the same
//   rank or above);
// - a name the three workspaces share is declared once, in its module under lcc/src/api/ (layout,
//   backend rows, the agent's contract), and imported everywhere else (a second would drift);
// - backend-infra/lambda/ holds handlers only: lib/, admin/ and core/ import nothing from it, and a
//   handler imports no other handler (what they share lives in core/).
'use strict';
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');

const root = join(__dirname, '..');
const RANK = {
  repository: 0,
  api: -1,
  state: -1,
  progress: -1,
  backup: 1,
  browse: 1,
  restore: 2,
  maintenance: 3,
  agent: 4,
  studio: 4,
  cli: 5
};
const LAYOUT = 'lcc/src/api/layout.ts';
const ROWS = 'lcc/src/api/backend-rows.ts';
const CONTRACT = 'lcc/src/api/contract.ts';
const SHARED = {
  REFERENCE_TIMESTAMP: LAYOUT,
  RESTORE_TAG: LAYOUT,
  STUDIO_NAME: LAYOUT,
  RECORDED_FAILURE: ROWS,
  IRequestRow: ROWS,
  IHistoryRow: ROWS,
  IMaintenanceRunRow: ROWS,
  RestoreRequestsResponse: CONTRACT,
  RestoreRequestResponse: CONTRACT,
  RecoveriesResponse: CONTRACT,
  RecoveryRecord: CONTRACT
};

const files = execFileSync('git', ['ls-files', '*.ts', '*.tsx'], {
  cwd: root,
  encoding: 'utf8'
})
  .split('\n')
  // lib/ and lcc/lib/ are build output; backend-infra/lib/ is source.
  .filter(f => f && !/^(lcc\/)?lib\//.test(f) && !f.endsWith('.d.ts'));
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

const HANDLERS = 'backend-infra/lambda/';
for (const file of files.filter(f => f.startsWith('backend-infra/'))) {
  const part = file.split('/')[1];
  if (!['lib', 'admin', 'core', 'lambda'].includes(part)) {
    continue;
  }
  const text = readFileSync(join(root, file), 'utf8');
  for (const [, spec] of text.matchAll(/from '(\.\.?\/[^']+)'/g)) {
    const target = relative(root, join(root, dirname(file), spec));
    if (target.startsWith(HANDLERS)) {
      problems.push(
        `${file} imports ${spec}: lambda/ holds handlers only; move what is shared to backend-infra/core/`
      );
    }
  }
}

for (const [name, home] of Object.entries(SHARED)) {
  const declared = new RegExp(
    `^\\s*(export\\s+)?(const\\s+${name}\\b\\s*[=:]|(interface|type)\\s+${name}\\b)`,
    'm'
  );
  const where = files.filter(f =>
    declared.test(readFileSync(join(root, f), 'utf8'))
  );
  const elsewhere = where.filter(f => f !== home);
  if (elsewhere.length > 0 || !where.includes(home)) {
    problems.push(
      `${name} must be declared once, in ${home}, and imported elsewhere; declared in: ${where.join(', ') || 'nowhere'}`
    );
  }
}

for (const problem of problems) {
  console.error(problem);
}
console.log(
  problems.length === 0
    ? `layout ok: ${files.length} files, imports downward, handlers only in lambda/, ${Object.keys(SHARED).length} shared names declared once`
    : `${problems.length} layout problem(s)`
);
process.exitCode = problems.length === 0 ? 0 : 1;
