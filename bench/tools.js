'use strict';
/**
 * The tools the engine is measured against, found or built where they can be had: restic from
 * Debian, rustic with cargo and versitygw with go, both into a cache outside the checkout
 * (~/.cache/studio-backup-bench), and Node.js 22 from scripts/setup.sh. Each missing tool is named
 * with the reason, and the benchmark goes on without it.
 */
const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync } = require('node:fs');
const { homedir } = require('node:os');
const { join } = require('node:path');

const cache = join(homedir(), '.cache', 'studio-backup-bench');
const RUSTIC = join(cache, 'rustic', 'bin', 'rustic');
const NODE22 = require('../scripts/node22-path');

const works = (cmd, ...args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).trim().split('\n')[0] : '';
};

/** Runs an install step, at most `minutes` long; returns why it failed, or '' when it worked. */
function install(label, cmd, args, minutes) {
  process.stderr.write(`[bench] ${label}\n`);
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    timeout: minutes * 60_000
  });
  if (r.status === 0) return '';
  return r.error
    ? String(r.error.message)
    : (r.stderr || '').trim().split('\n').pop() || `exit ${r.status}`;
}

/** { restic, rustic, versitygw, node } paths (or undefined) and `missing`: tool -> why. */
function findTools({ installMissing = false } = {}) {
  const missing = {};
  mkdirSync(cache, { recursive: true });
  if (!works('restic', 'version') && installMissing) {
    const why = install(
      'installing restic (apt-get)',
      'bash',
      [
        '-c',
        'apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get -o DPkg::Lock::Timeout=600 install -y -qq restic'
      ],
      10
    );
    if (why) missing.restic = why;
  }
  if (!existsSync(RUSTIC) && !works('rustic', '--version') && installMissing) {
    const why = install(
      'building rustic (cargo install rustic-rs, about 20 minutes on 2 cores)',
      'cargo',
      ['install', '--locked', 'rustic-rs', '--root', join(cache, 'rustic')],
      60
    );
    if (why) missing.rustic = why;
  }
  const gobin = join(homedir(), 'go', 'bin', 'versitygw');
  if (
    !existsSync(gobin) &&
    !works('versitygw', '--version') &&
    installMissing
  ) {
    const why = install(
      'building versitygw (go install)',
      'go',
      ['install', 'github.com/versity/versitygw/cmd/versitygw@latest'],
      30
    );
    if (why) missing.versitygw = why;
  }
  const rustic = existsSync(RUSTIC)
    ? RUSTIC
    : works('rustic', '--version')
      ? 'rustic'
      : undefined;
  const restic = works('restic', 'version') ? 'restic' : undefined;
  if (!restic) missing.restic ??= 'not installed (make bench installs it)';
  if (!rustic) missing.rustic ??= 'not built (make bench builds it)';
  const node = existsSync(NODE22) ? NODE22 : undefined;
  if (!node)
    missing.node22 =
      'not installed by scripts/setup.sh: ours runs on ' + process.version;
  return {
    restic,
    rustic,
    node: node ?? process.execPath,
    missing,
    version: works
  };
}

module.exports = { findTools };
