/**
 * Hand-crafted snapshots, as an attacker or a bug could write them: trees saved with
 * repo.saveTree, repo.flush and repo.saveSnapshot, then restored through the CLI.
 *
 * For every case the restore either refuses before writing anything (non-zero exit, nothing in the
 * target) or leaves the hostile entry out with a warning (exit 3) and restores everything else
 * byte-identical. It never writes outside the target (its parent folder and an "outside" folder
 * that links point to stay as they were), never exits 0 in silence, and never prints a stack.
 */
import { cpSync, existsSync, readdirSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { backup } from '../../src/backup/backup';
import { FileBackend } from '../../src/repository/file-backend';
import { Repository } from '../../src/repository/repository';
import { check } from '../../src/maintenance/check';
import { TreeEntry } from '../../src/repository/trees';
import {
  cleanupTempDirs,
  describeTree,
  tempDir,
  write
} from '../helpers/fixtures';
import { jsonLines, runCli, stderrViolations } from './cli';
import { fileRepo } from './intact';

jest.setTimeout(180_000);
afterAll(cleanupTempDirs);

interface IBase {
  repoDir: string;
  snapshot: string;
  expected: Record<string, string>;
}

let base: Promise<IBase> | undefined;
/** ok.txt, docs/readme.md, docs/sub/a.txt and a link, backed up once; every case starts from a copy. */
function getBase(): Promise<IBase> {
  base ??= (async () => {
    const home = tempDir('home');
    write(home, 'ok.txt', 'ok\n');
    write(home, 'docs/readme.md', '# readme\n');
    write(home, 'docs/sub/a.txt', 'a\n');
    symlinkSync('ok.txt', join(home, 'link'));
    const repoDir = tempDir('repo');
    const result = await backup(
      await Repository.open(new FileBackend(repoDir), { create: true }),
      { source: home, cacheDir: tempDir('cache') }
    );
    return {
      repoDir,
      snapshot: result.snapshotId,
      expected: describeTree(home)
    };
  })();
  return base;
}

interface ICraftContext {
  repo: Repository;
  /** The entries of the snapshot's folders, by path ("" is the root). */
  entries: (folder: string) => Promise<TreeEntry[]>;
  /** The folder the restore writes into, and a folder outside it. */
  target: string;
  outside: string;
  /** A data blob holding "hello, not a tree\n". */
  dataBlob: string;
}

interface ICase {
  name: string;
  /** Folder -> its new entries (parents are re-saved up to a new root). Or a new root tree id. */
  craft: (c: ICraftContext) => Promise<Record<string, TreeEntry[]> | string>;
  /** Paths of the base snapshot that the crafted change may take out of the restore. */
  affected?: string[];
  /** Crafted entries that are harmless and may be restored, with what they must restore to. */
  extra?: Record<string, string>;
  flags?: string[];
  /** The crafted snapshot is legitimate with these flags: exit 0 is right. */
  allowed?: boolean;
  /** Afterwards, restore the base snapshot into the same target (what a link left there may do). */
  thenBase?: boolean;
}

const file = (name: string, content: string[] = [], size = 0): TreeEntry => ({
  name,
  type: 'file',
  mode: 0o644,
  mtime: Date.UTC(2024, 0, 1),
  size,
  content
});
const link = (name: string, target: string): TreeEntry => ({
  name,
  type: 'symlink',
  mode: 0o777,
  mtime: Date.UTC(2024, 0, 1),
  target
});
const dir = (name: string, subtree: string): TreeEntry => ({
  name,
  type: 'dir',
  mode: 0o755,
  mtime: Date.UTC(2024, 0, 1),
  subtree
});

/** Adds entries to a folder of the base snapshot. */
const adding =
  (
    folder: string,
    ...extra: Array<(c: ICraftContext) => Promise<TreeEntry> | TreeEntry>
  ) =>
  async (c: ICraftContext) => ({
    [folder]: [
      ...(await c.entries(folder)),
      ...(await Promise.all(extra.map(make => make(c))))
    ]
  });

/** A relative path from the target's root to the outside folder. */
const toOutside = (c: ICraftContext, from = '') =>
  relative(join(c.target, from), c.outside);

const CASES: ICase[] = [
  {
    name: 'a file named ".." in a nested folder',
    craft: adding('docs/sub', c => file('..', [c.dataBlob], 18))
  },
  {
    name: 'a folder named ".." at the root, holding a file',
    craft: adding('', async c =>
      dir(
        '..',
        await c.repo.saveTree({
          entries: [file('escaped.txt', [c.dataBlob], 18)]
        })
      )
    )
  },
  {
    name: 'a file named "."',
    craft: adding('', c => file('.', [c.dataBlob], 18))
  },
  {
    name: 'a file named "" (empty)',
    craft: adding('docs', c => file('', [c.dataBlob], 18))
  },
  {
    name: 'a file named "a/b"',
    craft: adding('', c => file('a/b', [c.dataBlob], 18))
  },
  {
    name: 'a file named "../escaped.txt"',
    craft: adding('', c => file('../escaped.txt', [c.dataBlob], 18))
  },
  {
    name: 'a file named "x\\0y" (NUL)',
    craft: adding('docs', c => file('x\0y', [c.dataBlob], 18))
  },
  {
    name: 'a file with a 300-byte name',
    craft: adding('docs', c => file('n'.repeat(300), [c.dataBlob], 18))
  },
  {
    name: 'a symlink with an absolute target outside',
    craft: adding('', c => link('abs', c.outside))
  },
  {
    name: 'a link "docs" to an absolute folder outside (allowed), then a restore of the real docs/ over it',
    // The user allows the link; the next restore must not write docs/readme.md through it.
    craft: async c => ({
      '': (await c.entries('')).map(e =>
        e.name === 'docs' ? link('docs', c.outside) : e
      )
    }),
    affected: ['docs', 'docs/readme.md', 'docs/sub', 'docs/sub/a.txt'],
    flags: ['--allow-external-symlinks'],
    allowed: true,
    thenBase: true
  },
  {
    name: 'a chain of three links whose last hop leaves the target',
    craft: adding(
      '',
      () => link('chain-a', 'chain-b'),
      () => link('chain-b', 'chain-c'),
      c => link('chain-c', toOutside(c))
    )
  },
  {
    name: 'a chain through a link to ".." in a subfolder',
    craft: async c => ({
      'docs/sub': [...(await c.entries('docs/sub')), link('up', '..')],
      '': [
        ...(await c.entries('')),
        link('escape', `docs/sub/up/sub/up/../${toOutside(c, 'docs')}`)
      ]
    }),
    // "up" leads to docs/, inside the target: it may be restored. "escape" may not.
    extra: { 'docs/sub/up': 'link ..' }
  },
  {
    name: 'two links that point at each other',
    craft: adding(
      '',
      () => link('loop-1', 'loop-2'),
      () => link('loop-2', 'loop-1')
    )
  },
  {
    name: "a folder whose subtree is a file's blob",
    craft: adding('docs', c => dir('not-a-tree', c.dataBlob))
  },
  {
    name: 'a folder whose tree blob is not JSON',
    craft: adding('docs', async c =>
      dir(
        'garbled',
        (
          await c.repo.saveBlob(
            'tree',
            Buffer.from('{"entries": [ garbled'),
            true
          )
        ).id
      )
    )
  },
  {
    name: 'a root tree that is JSON but not a tree',
    craft: async c =>
      (await c.repo.saveBlob('tree', Buffer.from('{"files": ["x"]}'), true)).id,
    affected: [
      'ok.txt',
      'link',
      'docs',
      'docs/readme.md',
      'docs/sub',
      'docs/sub/a.txt'
    ]
  },
  {
    name: 'a size that lies: bigger than the content',
    craft: async c => ({
      '': (await c.entries('')).map(e =>
        e.name === 'ok.txt' ? { ...e, size: 1_000_000 } : e
      )
    }),
    affected: ['ok.txt']
  },
  {
    name: 'a size that lies: smaller than the content',
    craft: async c => ({
      docs: (await c.entries('docs')).map(e =>
        e.name === 'readme.md' ? { ...e, size: 2 } : e
      )
    }),
    affected: ['docs/readme.md']
  },
  {
    name: 'a size that lies: 0 for a file with content',
    craft: async c => ({
      'docs/sub': (await c.entries('docs/sub')).map(e =>
        e.name === 'a.txt' ? { ...e, size: 0 } : e
      )
    }),
    affected: ['docs/sub/a.txt']
  }
];

/** Re-saves the changed folders and their parents, then a snapshot of the new root. */
async function craftSnapshot(
  b: IBase,
  repoDir: string,
  kase: ICase,
  target: string,
  outside: string
): Promise<string> {
  const repo = await fileRepo(repoDir);
  await repo.loadIndex();
  const manifest = await repo.loadSnapshot(b.snapshot);
  const treeOf = async (folder: string): Promise<string> => {
    let id = manifest.tree;
    for (const part of folder === '' ? [] : folder.split('/')) {
      id = (await repo.loadTree(id)).entries.find(
        e => e.name === part
      )!.subtree!;
    }
    return id;
  };
  const context: ICraftContext = {
    repo,
    entries: async folder =>
      (await repo.loadTree(await treeOf(folder))).entries,
    target,
    outside,
    dataBlob: (
      await repo.saveBlob('data', Buffer.from('hello, not a tree\n'), true)
    ).id
  };
  const crafted = await kase.craft(context);
  let root: string;
  if (typeof crafted === 'string') {
    root = crafted;
  } else {
    // Deepest folders first; each parent then points at its child's new tree.
    const changed = new Map(Object.entries(crafted));
    const saved = new Map<string, string>();
    const folders = new Set<string>();
    for (const folder of changed.keys()) {
      const parts = folder === '' ? [] : folder.split('/');
      for (let i = 0; i <= parts.length; i++) {
        folders.add(parts.slice(0, i).join('/'));
      }
    }
    const byDepth = [...folders].sort(
      (x, y) =>
        (y === '' ? 0 : y.split('/').length) -
        (x === '' ? 0 : x.split('/').length)
    );
    for (const folder of byDepth) {
      const entries = (
        changed.get(folder) ?? (await context.entries(folder))
      ).map(e => {
        const child = folder === '' ? e.name : `${folder}/${e.name}`;
        return e.type === 'dir' && saved.has(child)
          ? { ...e, subtree: saved.get(child)! }
          : e;
      });
      // saveTree sorts by name; a tree with names the schema refuses is written as it would be.
      saved.set(folder, await repo.saveTree({ entries }));
    }
    root = saved.get('')!;
  }
  await repo.flush();
  return repo.saveSnapshot({ ...manifest, tree: root });
}

const results = new Map<string, boolean>();
afterAll(() => {
  const held = [...results.values()].filter(Boolean).length;
  console.log(
    [
      `crafted trees: ${results.size} cases tried, ${held} held`,
      ...[...results].map(
        ([name, ok]) => `  ${ok ? 'held  ' : 'FAILED'}  ${name}`
      )
    ].join('\n')
  );
});

describe('a crafted snapshot', () => {
  it.concurrent.each(CASES)('$name', async kase => {
    const b = await getBase();
    const repoDir = tempDir('case');
    cpSync(b.repoDir, repoDir, { recursive: true });
    const parent = tempDir('parent');
    const target = join(parent, 'target');
    const outside = tempDir('outside');
    const crafted = await craftSnapshot(b, repoDir, kase, target, outside);
    const run = await runCli(
      [
        'restore',
        crafted,
        '--repo',
        repoDir,
        '--target',
        target,
        '--json',
        ...(kase.flags ?? [])
      ],
      tempDir('cache')
    );
    const v = stderrViolations('restore', run.err);
    const summary = jsonLines(run.out).find(l => l.type === 'summary');
    const warnings = (summary?.warnings as string[] | undefined) ?? [];
    const message = [run.err, ...warnings].join('\n');

    // Never outside the target.
    if (readdirSync(parent).some(name => name !== 'target')) {
      v.push(`wrote next to the target: ${readdirSync(parent).join(', ')}`);
    }
    if (readdirSync(outside).length > 0) {
      v.push(
        `wrote into the outside folder: ${readdirSync(outside).join(', ')}`
      );
    }
    const actual = existsSync(target) ? describeTree(target) : {};
    const affected = new Set(kase.affected ?? []);
    const expected: Record<string, string> = { ...b.expected, ...kase.extra };
    for (const [rel, want] of Object.entries(kase.extra ?? {})) {
      if (actual[rel] !== undefined && actual[rel] !== want) {
        v.push(`${rel} is in the target as ${actual[rel]} instead of ${want}`);
      }
    }
    if (run.code === 0 && !kase.allowed) {
      v.push(`exit 0 in silence: ${JSON.stringify(Object.keys(actual))}`);
    } else if (run.code === 3 || run.code === 0) {
      // Left out with a warning: everything else restored byte-identical, nothing that is not there.
      if (run.code === 3 && warnings.length === 0) {
        v.push('exit 3 without a warning');
      }
      for (const [rel, want] of Object.entries(b.expected)) {
        if (!affected.has(rel) && actual[rel] !== want) {
          v.push(`${rel}: ${actual[rel] ?? 'missing'} instead of ${want}`);
        }
        // (With the flags that allow it, an affected path is the crafted snapshot's own entry.)
        if (
          affected.has(rel) &&
          !kase.allowed &&
          actual[rel] !== undefined &&
          actual[rel] !== want
        ) {
          v.push(`${rel} is in the target with WRONG content: ${actual[rel]}`);
        }
      }
      const extra = Object.keys(actual).filter(
        rel => !(rel in expected) && !(kase.allowed && affected.has(rel))
      );
      if (extra.length > 0) {
        v.push(`restored what the crafted entry names: ${extra.join(', ')}`);
      }
    } else {
      // Refused: before anything was written.
      if (Object.keys(actual).length > 0) {
        v.push(
          `refused (exit ${run.code}: ${run.err.trim()}) after writing ${Object.keys(actual).join(', ')}`
        );
      }
    }
    if (kase.allowed && actual.docs !== `link ${outside}`) {
      v.push(`the allowed link docs is ${actual.docs ?? 'missing'}`);
    }
    if (kase.thenBase) {
      const again = await runCli(
        [
          'restore',
          b.snapshot,
          '--repo',
          repoDir,
          '--target',
          target,
          '--json'
        ],
        tempDir('cache')
      );
      v.push(...stderrViolations('the restore over the link', again.err));
      if (readdirSync(outside).length > 0) {
        v.push(
          `the restore over the link wrote into the outside folder: ${readdirSync(outside).join(', ')}`
        );
      }
      if (again.code === 0) {
        v.push(
          'the restore over the link: exit 0, though docs/ could not be restored'
        );
      }
    }
    if (/no space left/i.test(message)) {
      v.push(`misdiagnosed as a full disk: ${message.trim()}`);
    }
    // check --read-data on the crafted repository completes; every blob is stored as written, so
    // the only problems it may report are the crafted trees themselves.
    const checked = await check(await fileRepo(repoDir), { readData: true });
    v.push(
      ...checked.problems
        .filter(p => p.kind !== 'tree')
        .map(p => `check --read-data: ${p.message}`)
    );
    results.set(kase.name, v.length === 0);
    expect(v).toEqual([]);
  });
});
