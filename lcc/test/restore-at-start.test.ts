/**
 * The end of a recovery from a former profile, in the space: the backend has copied bob's snapshots
 * into alice's repository and tagged her space studio-backup:restore=latest@bob; at the next start the
 * agent restores bob's latest snapshot (not alice's newer one) into restored-files/, then removes the
 * tag and records the result. SageMaker is the stand-in over the real wire protocol.
 */
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../src/backup/backup';
import { FileBackend } from '../src/repository/file-backend';
import { Repository } from '../src/repository/repository';
import { createAgentServer, listen } from '../src/agent/server';
import { resolveIdentity, SharedSpaceError } from '../src/studio/identity';
import { newAgentSecret } from '../src/agent/secret';
import {
  applyPendingRestores,
  MAX_ATTEMPTS
} from '../src/studio/restore-at-start';
import {
  cleanupTempDirs,
  describeTree,
  excludedByDefault,
  makeHome,
  tempDir,
  write
} from './helpers/fixtures';
import {
  ISageMakerState,
  newState,
  startSageMaker
} from './helpers/sagemaker-standin';

const SPACE_ARN =
  'arn:aws:sagemaker:us-east-1:123456789012:space/d-1/alice-space';
const PROFILE_ARN =
  'arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-1/alice';

let state: ISageMakerState;
let sagemaker: { endpoint: string; stop(): Promise<void> };
let client: SageMakerClient;

beforeAll(async () => {
  state = newState();
  sagemaker = await startSageMaker(state);
  client = new SageMakerClient({
    endpoint: sagemaker.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }
  });
});

afterAll(async () => {
  client.destroy();
  await sagemaker.stop();
  cleanupTempDirs();
});

async function run(
  repo: Repository,
  home: string,
  space = { name: 'alice-space', arn: SPACE_ARN }
) {
  const lines: string[] = [];
  const { applied, requests } = await applyPendingRestores({
    client,
    identity: {
      domainId: 'd-1',
      spaceName: space.name,
      appType: 'JupyterLab',
      userProfile: 'alice',
      userProfileArn: PROFILE_ARN,
      spaceArn: space.arn
    },
    repo,
    home,
    stateDir: tempDir('state'),
    log: line => lines.push(line)
  });
  return { applied, requests, lines };
}

it("restores the former profile's latest snapshot named by latest@<profile>, then clears the tag", async () => {
  const repoDir = tempDir('repo');
  const open = () =>
    Repository.open(new FileBackend(repoDir), { create: true });
  const bobHome = tempDir('bob');
  makeHome(bobHome);
  const bobs = await backup(await open(), {
    source: bobHome,
    cacheDir: tempDir('cache'),
    profile: 'bob'
  });
  const aliceHome = tempDir('alice');
  writeFileSync(join(aliceHome, 'mine.txt'), 'alice\n');
  await backup(await open(), {
    source: aliceHome,
    cacheDir: tempDir('cache'),
    profile: 'alice'
  });
  state.tags[SPACE_ARN] = { 'studio-backup:restore': 'latest@bob' };

  const { applied } = await run(await open(), aliceHome);
  expect(applied).toEqual([
    expect.objectContaining({
      source: 'tag',
      ok: true,
      snapshot: bobs.snapshotId
    })
  ]);
  const target = join(aliceHome, 'restored-files', bobs.snapshotId.slice(0, 8));
  expect(describeTree(target)).toEqual(
    describeTree(bobHome, excludedByDefault)
  );
  expect(state.tags[SPACE_ARN]['studio-backup:restore']).toBeUndefined();
  expect(state.tags[SPACE_ARN]['studio-backup:last-restore']).toMatch(
    new RegExp(`^ok ${bobs.snapshotId} `)
  );

  // A restart does not restore again.
  expect((await run(await open(), aliceHome)).applied).toEqual([]);
});

it('records a failed restore in one line when the named profile has no snapshot here', async () => {
  const repoDir = tempDir('repo');
  const home = tempDir('home');
  writeFileSync(join(home, 'a.txt'), 'a\n');
  const repo = await Repository.open(new FileBackend(repoDir), {
    create: true
  });
  await backup(repo, {
    source: home,
    cacheDir: tempDir('cache'),
    profile: 'alice'
  });
  state.tags[SPACE_ARN] = { 'studio-backup:restore': 'latest@carol:in-place' };

  const { applied, lines } = await run(repo, home);
  expect(applied).toEqual([
    expect.objectContaining({
      ok: false,
      message: `No snapshot taken by the profile carol in ${repo.backend.url}: its snapshots were not copied here.`
    })
  ]);
  expect(lines.join('\n')).toContain('FAILED');
  expect(state.tags[SPACE_ARN]['studio-backup:last-restore']).toMatch(
    /^failed latest@carol /
  );
});

describe('a profile-wide request with two spaces', () => {
  const SPACE_B = 'arn:aws:sagemaker:us-east-1:123456789012:space/d-1/alice-b';
  const spaceA = { name: 'alice-space', arn: SPACE_ARN };
  const spaceB = { name: 'alice-b', arn: SPACE_B };

  /** One repository per space (<profile>/<space>), each with one snapshot of its own home. */
  async function spaceWithBackup() {
    const repoDir = tempDir('repo');
    const home = tempDir('home');
    makeHome(home);
    const open = () =>
      Repository.open(new FileBackend(repoDir), { create: true });
    const made = await backup(await open(), {
      source: home,
      cacheDir: tempDir('cache'),
      profile: 'alice'
    });
    return { open, home, snapshot: made.snapshotId, source: home };
  }

  beforeEach(() => {
    state.tags[SPACE_ARN] = {};
    state.tags[SPACE_B] = {};
  });

  it('restores in both spaces, once each, and keeps the request on the profile', async () => {
    const a = await spaceWithBackup();
    const b = await spaceWithBackup();
    state.tags[PROFILE_ARN] = { 'studio-backup:restore': 'latest' };

    const first = await run(await a.open(), a.home, spaceA);
    const second = await run(await b.open(), b.home, spaceB);
    expect(first.applied).toEqual([
      expect.objectContaining({ ok: true, snapshot: a.snapshot })
    ]);
    expect(second.applied).toEqual([
      expect.objectContaining({ ok: true, snapshot: b.snapshot })
    ]);
    expect(
      describeTree(join(b.home, 'restored-files', b.snapshot.slice(0, 8)))
    ).toEqual(describeTree(b.source, excludedByDefault));
    expect(state.tags[PROFILE_ARN]['studio-backup:restore']).toBe('latest');
    expect(state.tags[SPACE_B]['studio-backup:last-restore']).toMatch(
      new RegExp(`^ok ${b.snapshot} attempt 1 `)
    );
    // Applied once per space: a restart of either restores nothing.
    expect((await run(await a.open(), a.home, spaceA)).applied).toEqual([]);
    expect((await run(await b.open(), b.home, spaceB)).applied).toEqual([]);
  });

  it("one space's failure leaves the other's restore alone and is kept, counted and listed by the agent", async () => {
    const a = await spaceWithBackup();
    const emptyRepo = tempDir('empty-repo');
    const openEmpty = () =>
      Repository.open(new FileBackend(emptyRepo), { create: true });
    const bHome = tempDir('home-b');
    state.tags[PROFILE_ARN] = { 'studio-backup:restore': 'latest' };

    // Space B starts first and fails: its repository has no snapshot.
    const failed = await run(await openEmpty(), bHome, spaceB);
    expect(failed.applied).toEqual([
      expect.objectContaining({ ok: false, attempts: 1 })
    ]);
    expect(failed.lines.join('\n')).toContain(
      `FAILED (attempt 1 of ${MAX_ATTEMPTS})`
    );
    expect(state.tags[PROFILE_ARN]['studio-backup:restore']).toBe('latest');
    expect(state.tags[SPACE_B]['studio-backup:last-restore']).toMatch(
      /^failed latest attempt 1 \S+: /
    );

    const restored = await run(await a.open(), a.home, spaceA);
    expect(restored.applied).toEqual([
      expect.objectContaining({ ok: true, snapshot: a.snapshot })
    ]);

    // B tries again at each start, until MAX_ATTEMPTS, then stops and says so.
    for (let i = 2; i <= MAX_ATTEMPTS; i++) {
      await run(await openEmpty(), bHome, spaceB);
    }
    const given = await run(await openEmpty(), bHome, spaceB);
    expect(given.applied).toEqual([]);
    expect(given.requests).toEqual([
      expect.objectContaining({
        id: 'tag:studio-backup:restore',
        state: 'failed',
        attempts: MAX_ATTEMPTS
      })
    ]);

    // What the panel reads: the agent's request list.
    const secret = newAgentSecret();
    const server = createAgentServer({
      version: 'test',
      repository: `file://${emptyRepo}`,
      secret,
      home: bHome,
      stateDir: tempDir('state'),
      startRestores: failed.requests
    });
    try {
      const port = await listen(server, 0);
      const res = await fetch(
        `http://127.0.0.1:${port}/api/v1/restore-requests`,
        { headers: { 'X-Studio-Backup-Secret': secret } }
      );
      expect(((await res.json()) as { requests: unknown[] }).requests).toEqual([
        expect.objectContaining({
          state: 'pending',
          attempts: 1,
          message: expect.stringMatching(
            /^Attempt 1 of 3 failed: .*\(tried again at the next start\)$/
          )
        })
      ]);
    } finally {
      server.close();
    }
  });

  it('a request naming its space is for that space only', async () => {
    const a = await spaceWithBackup();
    const b = await spaceWithBackup();
    state.tags[PROFILE_ARN] = { 'studio-backup:restore:alice-b': 'latest' };
    expect((await run(await a.open(), a.home, spaceA)).applied).toEqual([]);
    expect((await run(await b.open(), b.home, spaceB)).applied).toEqual([
      expect.objectContaining({ ok: true, snapshot: b.snapshot })
    ]);
    expect(state.tags[PROFILE_ARN]['studio-backup:restore:alice-b']).toBe(
      undefined
    );
  });
});

it('a shared space is not protected: its identity says so in one line', async () => {
  state.spaces['team-space'] = {
    domainId: 'd-1',
    owner: 'alice',
    arn: 'arn:aws:sagemaker:us-east-1:123456789012:space/d-1/team-space',
    sharing: 'Shared'
  };
  const meta = write(
    tempDir('meta'),
    'resource-metadata.json',
    JSON.stringify({ DomainId: 'd-1', SpaceName: 'team-space' })
  );
  await expect(resolveIdentity(client, meta)).rejects.toThrow(
    new SharedSpaceError('team-space')
  );
  await expect(resolveIdentity(client, meta)).rejects.toThrow(
    /^Space team-space is a shared space: Studio Backup does not back it up/
  );
});
