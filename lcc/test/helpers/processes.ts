/**
 * Processes a test starts, and whatever they start in turn (lcc/on-start.sh leaves its supervisor
 * and the agent running in the background): each command runs as the leader of its own process
 * group, and is ended by that group, never by matching names or paths.
 *
 * Orphans are re-parented to pid 1, which in some containers never reaps them: a zombie is not
 * running, so a group whose members are all zombies counts as ended.
 */
import { spawn, SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface IGroupMember {
  pid: number;
  ppid: number;
  pgid: number;
  args: string;
}

/** The groups started here and not yet ended. */
const groups = new Set<number>();

// A worker that exits without its afterAll (a crash, a forced exit) still ends what it started.
process.once('exit', () => {
  for (const pgid of groups) {
    if (groupMembers(pgid).length > 0) {
      signal(pgid, 'SIGKILL');
    }
  }
});

function signal(pgid: number, name: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, name);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

/** Every live (not zombie) process of the group; from /proc, or by signal 0 where there is none. */
export function groupMembers(pgid: number): IGroupMember[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter(name => /^\d+$/.test(name));
  } catch {
    return signal(pgid, 0) ? [{ pid: pgid, ppid: 0, pgid, args: '' }] : [];
  }
  const members: IGroupMember[] = [];
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
      const [state, ppid, pgrp] = stat
        .slice(stat.lastIndexOf(')') + 2)
        .split(' ');
      if (Number(pgrp) !== pgid || state === 'Z') {
        continue;
      }
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .split('\0')
        .join(' ')
        .trim();
      members.push({ pid: Number(pid), ppid: Number(ppid), pgid, args });
    } catch {
      // It ended while we looked.
    }
  }
  return members;
}

/** Every live process of every group started here. */
export function startedProcesses(): IGroupMember[] {
  return [...groups].flatMap(groupMembers);
}

export interface IGroupRun {
  /** The group's id: the pid of the command, which stays the id while any member lives. */
  pgid: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end in a new process group, like spawnSync but without blocking the test's
 * own servers; what it leaves running in the background stays in the group until endGroups().
 */
export function runInGroup(
  command: string,
  args: string[],
  options: SpawnOptions = {}
): Promise<IGroupRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...options,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe']
    });
    const pgid = child.pid;
    if (pgid === undefined) {
      child.once('error', reject);
      return;
    }
    groups.add(pgid);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', chunk => (stdout += chunk));
    child.stderr!.on('data', chunk => (stderr += chunk));
    child.once('error', reject);
    child.once('close', status => resolve({ pgid, status, stdout, stderr }));
  });
}

async function until(done: () => boolean, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline;) {
    if (done()) {
      return true;
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  return done();
}

/** SIGTERM to the whole group, then SIGKILL to what is still running after the grace period. */
export async function endGroup(pgid: number, graceMs = 10_000): Promise<void> {
  const ended = () => groupMembers(pgid).length === 0;
  if (signal(pgid, 'SIGTERM') && !(await until(ended, graceMs))) {
    signal(pgid, 'SIGKILL');
    await until(ended, 5_000);
  }
  groups.delete(pgid);
}

/** Ends every group started here (for afterAll). */
export async function endGroups(graceMs?: number): Promise<void> {
  await Promise.all([...groups].map(pgid => endGroup(pgid, graceMs)));
}
