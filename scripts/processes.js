#!/usr/bin/env node
// The processes a test run starts, found by what they inherit, ended by pid or process group, never
// by matching names (Linux: reads /proc).
//
//   processes.js end-group PGID [SECONDS]  SIGTERM to the group, SIGKILL to what still runs after
//                                          SECONDS (default 10); returns once it has ended.
//   processes.js leftovers RESULTS.json    for scripts/test.sh, at the end of a run: every process
//                                          still alive that carries this run's STUDIO_BACKUP_TEST_RUN
//                                          in its environment or descends from the run's shell
//                                          (STUDIO_BACKUP_TEST_ROOT); waits a little for those
//                                          still stopping, prints the rest, ends them by pid and
//                                          writes {"passed","failed"} (one check) for test-summary.js.
//
// Orphans are re-parented to pid 1, which in some containers never reaps them: zombies are not
// running and are left out.
'use strict';
const { readdirSync, readFileSync, writeFileSync } = require('node:fs');

function readProcess(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
    const [state, ppid, pgid, sid] = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ');
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .join(' ')
      .trim();
    return {
      pid,
      ppid: Number(ppid),
      pgid: Number(pgid),
      sid: Number(sid),
      state,
      args
    };
  } catch {
    return undefined; // it ended while we looked
  }
}

/** Every process but zombies. */
function listProcesses() {
  return readdirSync('/proc')
    .filter(name => /^\d+$/.test(name))
    .map(name => readProcess(Number(name)))
    .filter(p => p && p.state !== 'Z');
}

function environHas(pid, entry) {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .includes(entry);
  } catch {
    return false; // another user's, or gone
  }
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function until(done, ms) {
  for (const deadline = Date.now() + ms; Date.now() < deadline;) {
    if (done()) {
      return true;
    }
    await sleep(200);
  }
  return done();
}

function signal(target, name) {
  try {
    process.kill(target, name);
    return true;
  } catch {
    return false; // ESRCH: gone
  }
}

async function endGroup(pgid, graceMs) {
  const ended = () => !listProcesses().some(p => p.pgid === pgid);
  if (signal(-pgid, 'SIGTERM') && !(await until(ended, graceMs))) {
    signal(-pgid, 'SIGKILL');
    await until(ended, 5000);
  }
}

/** This process and its ancestors: the shell that runs the check is not a leftover. */
function ownLine() {
  const own = new Set();
  for (let p = readProcess(process.pid); p && p.pid > 1;) {
    own.add(p.pid);
    p = readProcess(p.ppid);
  }
  return own;
}

function runProcesses() {
  const marker = process.env.STUDIO_BACKUP_TEST_RUN;
  const root = Number(process.env.STUDIO_BACKUP_TEST_ROOT);
  if (!marker) {
    throw new Error('STUDIO_BACKUP_TEST_RUN is not set');
  }
  const all = listProcesses();
  const byPid = new Map(all.map(p => [p.pid, p]));
  const descends = p => {
    for (let q = p; q && q.pid > 1; q = byPid.get(q.ppid)) {
      if (q.pid === root) {
        return true;
      }
    }
    return false;
  };
  const own = ownLine();
  return all.filter(
    p =>
      !own.has(p.pid) &&
      (descends(p) || environHas(p.pid, `STUDIO_BACKUP_TEST_RUN=${marker}`))
  );
}

async function leftovers(resultsFile) {
  // What a test stopped may still be shutting down: a few seconds before it counts as left over.
  await until(() => runProcesses().length === 0, 15_000);
  const left = runProcesses();
  if (left.length === 0) {
    console.log('no process of this run is left');
  } else {
    console.log(`${left.length} processes of this run are still running:`);
    console.log('    PID    PPID    PGID  COMMAND');
    for (const p of left) {
      console.log(
        `${[p.pid, p.ppid, p.pgid].map(n => String(n).padStart(7)).join(' ')}  ${p.args.slice(0, 200)}`
      );
    }
    console.log(
      'ending them (SIGTERM, then SIGKILL): a test did not stop them'
    );
    const pids = new Set(left.map(p => p.pid));
    const alive = () => listProcesses().filter(p => pids.has(p.pid));
    left.forEach(p => signal(p.pid, 'SIGTERM'));
    if (!(await until(() => alive().length === 0, 5000))) {
      alive().forEach(p => signal(p.pid, 'SIGKILL'));
    }
  }
  const failed = left.length > 0 ? 1 : 0;
  writeFileSync(
    resultsFile,
    JSON.stringify({ passed: 1 - failed, failed }) + '\n'
  );
  return failed === 0;
}

async function main([command, ...args]) {
  if (command === 'end-group' && Number(args[0]) > 1) {
    await endGroup(Number(args[0]), Number(args[1] ?? 10) * 1000);
    return true;
  }
  if (command === 'leftovers' && args[0]) {
    return leftovers(args[0]);
  }
  console.error(
    'usage: processes.js end-group PGID [SECONDS] | leftovers RESULTS.json'
  );
  return false;
}

main(process.argv.slice(2)).then(
  ok => (process.exitCode = ok ? 0 : 1),
  err => {
    console.error(`processes.js: ${err.message}`);
    process.exitCode = 1;
  }
);
