/**
 * Coming from the reference LCC (#18): its copies, written by the real `aws s3 sync` into moto, are
 * read where no repository exists (creating nothing), and imported into deduplicated snapshots,
 * resumably after a kill -9.
 */
import {
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client
} from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createAgentServer, listen } from '../src/agent/server';
import { newAgentSecret } from '../src/agent/secret';
import { check } from '../src/maintenance/check';
import { referenceTag } from '../src/maintenance/import-reference';
import { packKey } from '../src/repository/format';
import { openBackend } from '../src/repository/open';
import { Repository } from '../src/repository/repository';
import { restore } from '../src/restore/restore';
import { openView } from '../src/browse/view';
import {
  cleanupTempDirs,
  describeTree,
  randomish,
  tempDir,
  write
} from './helpers/fixtures';
import { restoreAll } from './helpers/restore-all';
import { IFaultProxy, startFaultProxy } from './helpers/fault-proxy';
import { IS3Server, startS3, VENV_BIN } from './helpers/s3';
import { jsonLines, runCliBatch, startCli } from './faults/cli';

jest.setTimeout(180_000);

const BUCKET = 'backups';
let s3: IS3Server;
let proxy: IFaultProxy;
beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket(BUCKET);
  proxy = await startFaultProxy(s3.endpoint);
});
afterAll(async () => {
  await proxy?.stop();
  await s3?.stop();
  cleanupTempDirs();
});

/** The reference's own excludes: lost+found, its restore folder, every hidden folder. */
const REFERENCE_EXCLUDES = ['*/lost+found/*', 'restored-files/*', '.*/*'];

/** Exactly what the reference's on-start.sh runs: its excludes, then the marker once sync succeeded. */
async function referenceBackup(
  home: string,
  prefix: string,
  ts: string,
  complete = true
): Promise<void> {
  execFileSync(
    join(VENV_BIN, 'aws'),
    [
      '--endpoint-url',
      s3.endpoint,
      's3',
      'sync',
      home,
      `s3://${BUCKET}/${prefix}/${ts}/`,
      ...REFERENCE_EXCLUDES.flatMap(pattern => ['--exclude', pattern])
    ],
    { env: process.env, stdio: 'pipe' }
  );
  if (complete) {
    // The reference uploads an empty <ts>_BACKUP_COMPLETE with `aws s3 cp`; the SDK spares a python start.
    await s3.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${prefix}/${ts}/${ts}_BACKUP_COMPLETE`,
        Body: new Uint8Array(0)
      })
    );
  }
}

async function bucketKeys(
  client: S3Client = s3.client,
  prefix = ''
): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: BUCKET,
        Prefix: prefix,
        ContinuationToken: token
      })
    );
    for (const item of page.Contents ?? []) {
      keys.set(item.Key!, `${item.ETag} ${item.LastModified!.toISOString()}`);
    }
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** path -> sha256 of every file: what a reference copy keeps (no modes, no folders of its own). */
function contents(
  root: string,
  skip: (rel: string) => boolean = () => false
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(describeTree(root, skip))
      .filter(([, d]) => d.startsWith('file'))
      .map(([rel, d]) => [rel, d.split(' ')[1]])
  );
}

// "*/lost+found/*" needs a folder before lost+found and ".*/*" a folder under the hidden one.
const referenceExcluded = (rel: string) =>
  /^(\.[^/]+|restored-files)(\/|$)/.test(rel);

/** ~3 MiB in 40 files of 48 KiB, one multi-chunk file, and what the reference leaves out. */
function makeSmallHome(home: string): void {
  for (let i = 0; i < 40; i++) {
    write(
      home,
      `data/part-${String(i).padStart(2, '0')}.bin`,
      randomish(48 * 1024, i)
    );
  }
  write(home, 'models/weights.bin', randomish(1200 * 1024, 100));
  write(home, 'notes/read me.md', '# notes\n');
  write(home, '.cache/pip/wheel.whl', randomish(4096, 101));
  write(home, 'restored-files/2024-01-01-00-00-00/old.txt', 'old');
}

function cliEnv(): string {
  return tempDir('cache');
}

describe('reference copies with no repository', () => {
  const prefix = 'studio/alice/reading-space';
  const url = `s3://${BUCKET}/${prefix}`;
  const complete = '2024-03-01-12-00-00';
  const partial = '2024-03-02-12-00-00';
  let completeFiles: Record<string, string>;

  beforeAll(async () => {
    const home = tempDir('home');
    makeSmallHome(home);
    await referenceBackup(home, prefix, complete);
    completeFiles = contents(home, referenceExcluded);
    // The next sync did not finish: no marker.
    write(home, 'notes/read me.md', '# notes, changed\n');
    await referenceBackup(home, prefix, partial, false);
  });

  it('are listed, browsed, compared and restored by the CLI, and nothing is written to the bucket', async () => {
    const before = await bucketKeys();
    const target = tempDir('target');
    const [snapshots, ls, restored, find, diff, dryRun] = await runCliBatch(
      [
        ['snapshots', '--repo', url, '--json'],
        ['ls', '--repo', url, complete, 'data', '--json'],
        ['restore', '--repo', url, complete, '--target', target, '--json'],
        ['find', '--repo', url, 'notes/read me.md', '--json'],
        ['diff', '--repo', url, complete, partial, '--json'],
        ['import-reference', '--repo', url, '--dry-run', '--json']
      ],
      cliEnv()
    );
    for (const run of [snapshots, ls, restored, find, diff, dryRun]) {
      expect(run.err).toBe('');
      expect(run.code).toBe(0);
    }
    expect(
      (JSON.parse(snapshots.out) as Array<Record<string, unknown>>).map(s => [
        s.id,
        s.kind,
        s.complete
      ])
    ).toEqual([
      [partial, 'reference', false],
      [complete, 'reference', true]
    ]);
    expect(JSON.parse(ls.out)).toHaveLength(40);
    expect(JSON.parse(find.out)).toHaveLength(2);
    expect(JSON.parse(diff.out).changed).toEqual(['notes/read me.md']);
    expect(jsonLines(dryRun.out).map(l => [l.ts, l.status])).toEqual([
      [complete, 'would-import'],
      [partial, 'incomplete'],
      [undefined, undefined]
    ]);
    expect(contents(target)).toEqual(completeFiles);
    expect(await bucketKeys()).toEqual(before);
  });

  it("are read by the agent (the panel's routes), and nothing is written", async () => {
    const before = await bucketKeys();
    const secret = newAgentSecret();
    const server = createAgentServer({
      version: 'test',
      secret,
      repository: url,
      home: tempDir('agent-home'),
      stateDir: tempDir('agent-state')
    });
    const base = `http://127.0.0.1:${await listen(server, 0)}/api/v1`;
    const get = async (path: string) => {
      const response = await fetch(`${base}${path}`, {
        headers: { 'X-Studio-Backup-Secret': secret }
      });
      expect(response.status).toBe(200);
      return response.json() as Promise<Record<string, unknown>>;
    };
    try {
      const listed = (await get('/snapshots')).snapshots as Array<{
        id: string;
        complete: boolean;
      }>;
      expect(listed.map(s => [s.id, s.complete])).toEqual([
        [partial, false],
        [complete, true]
      ]);
      const tree = await get(`/snapshots/${complete}/tree?path=models`);
      expect(tree.entries).toEqual([
        expect.objectContaining({ name: 'weights.bin', size: 1200 * 1024 })
      ]);
    } finally {
      await new Promise(resolve => server.close(resolve));
    }
    expect(await bucketKeys()).toEqual(before);
  });

  it('refuse a write command with one line', async () => {
    const before = await bucketKeys();
    const [forget] = await runCliBatch(
      [['forget', '--repo', url, '--keep-last', '1']],
      cliEnv()
    );
    expect(forget.code).toBe(1);
    expect(forget.err).toMatch(/^studio-backup: No Studio Backup repository/);
    expect(await bucketKeys()).toEqual(before);
  });
});

describe('import-reference', () => {
  it('imports copies kept in another place (--from) and leaves them as they are', async () => {
    const from = `s3://${BUCKET}/studio/alice/reading-space`;
    const url = `s3://${BUCKET}/studio-backups/alice/reading-space`;
    const copies = await bucketKeys(s3.client, 'studio/alice/reading-space/');
    const [run] = await runCliBatch(
      [['import-reference', '--repo', url, '--from', from, '--json']],
      cliEnv()
    );
    expect(run.err).toBe('');
    expect(
      jsonLines(run.out)
        .slice(0, 2)
        .map(l => [l.ts, l.status])
    ).toEqual([
      ['2024-03-02-12-00-00', 'incomplete'],
      ['2024-03-01-12-00-00', 'imported']
    ]);
    expect(await bucketKeys(s3.client, 'studio/alice/reading-space/')).toEqual(
      copies
    );
    const [imported] = await (
      await Repository.open(openBackend(url))
    ).listSnapshots();
    expect(imported.manifest).toMatchObject({
      profile: 'alice',
      space: 'reading-space',
      time: '2024-03-01T12:00:00.000Z'
    });
  });

  it('turns 5 copies with 1% churn into snapshots smaller than 1.2 copies, each restoring byte-identical', async () => {
    const prefix = 'studio/bob/bob-space';
    const url = `s3://${BUCKET}/${prefix}`;
    const home = tempDir('home');
    makeSmallHome(home);
    const copies: Array<{ ts: string; files: Record<string, string> }> = [];
    for (let i = 1; i <= 5; i++) {
      if (i > 1) {
        // 1% of the home: one data file replaced by 32 KiB of new content.
        write(home, `data/part-0${i}.bin`, randomish(32 * 1024, 1000 + i));
      }
      const ts = `2024-03-0${i}-12-00-00`;
      await referenceBackup(home, prefix, ts);
      copies.push({ ts, files: contents(home, referenceExcluded) });
    }

    const cache = cliEnv();
    const copyReads: string[] = [];
    proxy.onRequest = req => {
      if (req.method === 'GET' && /\/\d{4}-\d\d-\d\d-/.test(req.url ?? '')) {
        copyReads.push(req.url!);
      }
    };
    const run = await startCli(
      ['import-reference', '--repo', url, '--json'],
      cache,
      { AWS_ENDPOINT_URL_S3: proxy.url }
    ).done;
    proxy.onRequest = undefined;
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const lines = jsonLines(run.out);
    expect(lines.slice(0, 5).map(l => [l.ts, l.status])).toEqual(
      copies.map(c => [c.ts, 'imported'])
    );
    const summary = lines[5] as {
      copiesBytes: number;
      repositoryBefore: number;
      repositoryAfter: number;
    };
    const oneCopy = lines[0].bytes as number;
    console.log(
      `import: 5 reference copies ${summary.copiesBytes} bytes (one copy ${oneCopy}); repository ${summary.repositoryBefore} before, ${summary.repositoryAfter} after (${(summary.repositoryAfter / oneCopy).toFixed(3)}x one copy)`
    );
    expect(summary.repositoryBefore).toBe(0);
    // Read from S3: the first copy whole, then only the object that changed in each later one.
    const firstCopyFiles = Object.keys(copies[0].files).length;
    expect(copyReads).toHaveLength(firstCopyFiles + 4);
    expect(summary.repositoryAfter).toBeLessThanOrEqual(1.2 * oneCopy);

    const repo = await Repository.open(openBackend(url));
    const listed = await repo.listSnapshots();
    const objects = await bucketKeys(s3.client, `${prefix}/`);
    for (const copy of copies) {
      const ours = listed.find(s =>
        s.manifest?.tags.includes(referenceTag(copy.ts))
      )!;
      expect(ours.manifest!.tags).toContain('imported');
      expect(ours.time).toBe(
        copy.ts.replace(/^(.{10})-(..)-(..)-(..)$/, '$1T$2:$3:$4.000Z')
      );
      const target = tempDir('restored');
      await restore(await openView(repo, ours.id), {
        paths: [],
        target,
        conflict: 'skip'
      });
      expect(contents(target)).toEqual(copy.files);
      // A file's time is the one its copy holds: the object's LastModified.
      const stored = objects.get(`${prefix}/${copy.ts}/models/weights.bin`)!;
      expect(
        statSync(join(target, 'models/weights.bin')).mtime.toISOString()
      ).toBe(stored.split(' ')[1]);
    }
    expect((await check(repo, { readData: true })).problems).toEqual([]);

    // Run again: every copy was imported, nothing is written.
    const before = await bucketKeys();
    const [again] = await runCliBatch(
      [['import-reference', '--repo', url, '--json']],
      cache
    );
    expect(again.code).toBe(0);
    expect(
      jsonLines(again.out)
        .slice(0, 5)
        .map(l => l.status)
    ).toEqual(Array(5).fill('already-imported'));
    expect(await bucketKeys()).toEqual(before);
  });

  it('resumes after a kill -9 without uploading its checkpointed packs again, nor reading what it imported', async () => {
    const prefix = 'studio/carol/carol-space';
    const url = `s3://${BUCKET}/${prefix}`;
    const home = tempDir('home');
    for (let i = 0; i < 24; i++) {
      write(home, `data/f-${i}.bin`, randomish(128 * 1024, 300 + i));
    }
    await referenceBackup(home, prefix, '2024-04-01-08-30-00');
    for (let i = 0; i < 12; i++) {
      write(home, `data/f-${i}.bin`, randomish(128 * 1024, 400 + i));
    }
    await referenceBackup(home, prefix, '2024-04-02-08-30-00');
    // Small packs: the second copy's 1.5 MiB of new content make 6 packs, an index file (a
    // checkpoint) after the first 4.
    const backend = openBackend(url);
    const created = await Repository.open(backend, { create: true });
    await backend.put(
      'config',
      Buffer.from(JSON.stringify({ ...created.config, packSize: 256 * 1024 }))
    );

    const cache = cliEnv();
    const run = startCli(['import-reference', '--repo', url], cache, {
      AWS_ENDPOINT_URL_S3: proxy.url
    });
    // Once the first copy's snapshot is written, stop the CLI when the proxy has the whole of the
    // second copy's first index file, let that land, then kill.
    let checkpoint = '';
    const stopped = new Promise<void>(resolve => {
      let firstDone = false;
      proxy.onRequest = req => {
        if (req.method !== 'PUT') {
          return;
        }
        firstDone ||= req.url!.includes('/snapshots/');
        if (firstDone && req.url!.includes('/index/')) {
          proxy.onRequest = undefined;
          checkpoint = req.url!.split('?')[0].slice(`/${BUCKET}/`.length);
          req.once('end', () => {
            process.kill(run.child.pid!, 'SIGSTOP');
            resolve();
          });
        }
      };
    });
    await Promise.race([stopped, run.done]);
    for (let i = 0; !(await bucketKeys(s3.client, checkpoint)).size; i++) {
      expect(i).toBeLessThan(100);
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');

    const index = await created.readIndexFile(
      checkpoint.slice(prefix.length + 1)
    );
    const checkpointed = new Set(
      index.packs.map(p => `${prefix}/${packKey(p.id)}`)
    );
    expect(checkpointed.size).toBeGreaterThanOrEqual(4);

    const puts: string[] = [];
    const copyReads: string[] = [];
    proxy.onRequest = req => {
      const key = decodeURIComponent(req.url!.split('?')[0]).slice(
        `/${BUCKET}/`.length
      );
      if (req.method === 'PUT') {
        puts.push(key);
      } else if (req.method === 'GET' && /\/\d{4}-\d\d-\d\d-/.test(key)) {
        copyReads.push(key);
      }
    };
    const resumed = await startCli(
      ['import-reference', '--repo', url, '--json'],
      cache,
      { AWS_ENDPOINT_URL_S3: proxy.url }
    ).done;
    proxy.onRequest = undefined;
    expect(resumed.err).toBe('');
    expect(resumed.code).toBe(0);
    expect(
      jsonLines(resumed.out)
        .slice(0, 2)
        .map(l => l.status)
    ).toEqual(['already-imported', 'imported']);
    // Only the 12 objects that changed since the imported copy are read, and the checkpointed packs
    // are not uploaded again.
    expect(copyReads).toHaveLength(12);
    expect(puts.filter(key => checkpointed.has(key))).toEqual([]);
    const packPuts = puts.filter(key => key.includes('/data/'));
    console.log(
      `kill: ${checkpointed.size} packs checkpointed before the kill, ${packPuts.length} uploaded by the resumed run, ${copyReads.length} copy objects read again`
    );

    const repo = await Repository.open(openBackend(url));
    expect((await check(repo, { readData: true })).problems).toEqual([]);
    const target = await restoreAll(repo);
    expect(contents(target)).toEqual(contents(home));
  });
});
