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
import { applyPendingRestores } from '../src/studio/restore-at-start';
import {
  cleanupTempDirs,
  describeTree,
  excludedByDefault,
  makeHome,
  tempDir
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

async function run(repo: Repository, home: string) {
  const lines: string[] = [];
  const applied = await applyPendingRestores({
    client,
    identity: {
      domainId: 'd-1',
      spaceName: 'alice-space',
      appType: 'JupyterLab',
      userProfile: 'alice',
      userProfileArn: PROFILE_ARN,
      spaceArn: SPACE_ARN
    },
    repo,
    home,
    stateDir: tempDir('state'),
    log: line => lines.push(line)
  });
  return { applied, lines };
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
