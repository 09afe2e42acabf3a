/**
 * Full restores applied when the app starts, before the first backup:
 * - the reference's tag SM_EBS_RESTORE_TIMESTAMP=<ts> on the user profile: its snapshot goes to
 *   $HOME/restored-files/<ts>/ with a $HOME/.restore/<ts>_SYNC_COMPLETE marker, exactly as before;
 * - our tag studio-backup:restore=<snapshot>[:in-place] on the space or the user profile;
 * - a pending request the panel recorded (restore-requests.json).
 * Each is then marked done (the tag is removed and studio-backup:last-restore records the result),
 * so it does not run again at every start, which the reference does.
 */
import {
  AddTagsCommand,
  DeleteTagsCommand,
  ListTagsCommand,
  SageMakerClient
} from '@aws-sdk/client-sagemaker';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FullRestoreRecord } from '../api/contract';
import { RESTORE_TAG } from '../api/layout';
import { Repository } from '../repository/repository';
import { restore } from '../restore/restore';
import { openView } from '../restore/view';
import { RESTORE_FOLDER } from '../backup/excludes';
import { IStudioIdentity } from './identity';

export const REFERENCE_TAG = 'SM_EBS_RESTORE_TIMESTAMP';
export { RESTORE_TAG };
export const RESULT_TAG = 'studio-backup:last-restore';

export interface IAppliedRestore {
  source: 'reference-tag' | 'tag' | 'panel';
  snapshot: string;
  target: string;
  ok: boolean;
  message: string;
}

async function tagsOf(
  client: SageMakerClient,
  arn: string
): Promise<Record<string, string>> {
  const out = await client.send(new ListTagsCommand({ ResourceArn: arn }));
  return Object.fromEntries(
    (out.Tags ?? []).map(t => [t.Key ?? '', t.Value ?? ''])
  );
}

async function markDone(
  client: SageMakerClient,
  arn: string,
  key: string,
  result: IAppliedRestore
): Promise<void> {
  await client.send(
    new DeleteTagsCommand({ ResourceArn: arn, TagKeys: [key] })
  );
  const value =
    `${result.ok ? 'ok' : 'failed'} ${result.snapshot} ${new Date().toISOString()}`.slice(
      0,
      256
    );
  await client.send(
    new AddTagsCommand({
      ResourceArn: arn,
      Tags: [{ Key: RESULT_TAG, Value: value }]
    })
  );
}

async function apply(
  repo: Repository,
  home: string,
  snapshot: string,
  inPlace: boolean,
  source: IAppliedRestore['source']
): Promise<IAppliedRestore> {
  try {
    const view = await openView(repo, snapshot);
    const target = inPlace
      ? home
      : join(home, RESTORE_FOLDER, view.info.shortId);
    const result = await restore(view, {
      paths: [],
      target,
      root: home,
      conflict: inPlace ? 'rename' : 'skip'
    });
    const c = result.counts;
    const restored = c.restore + c.overwrite + c.rename - result.damaged.length;
    return {
      source,
      snapshot: view.info.id,
      target,
      ok: result.damaged.length === 0,
      message:
        `${restored} files restored into ${target}` +
        (result.damaged.length > 0
          ? `; ${result.damaged.length} damaged in the backup and left out (first: ${result.damaged[0]}): run "studio-backup check --read-data"`
          : '')
    };
  } catch (err) {
    return {
      source,
      snapshot,
      target: home,
      ok: false,
      message: (err as Error).message
    };
  }
}

export async function applyPendingRestores(options: {
  client: SageMakerClient;
  identity: IStudioIdentity;
  repo: Repository;
  home: string;
  stateDir: string;
  log: (line: string) => void;
}): Promise<IAppliedRestore[]> {
  const { client, identity, repo, home, log } = options;
  const applied: IAppliedRestore[] = [];
  const profileTags = identity.userProfileArn
    ? await tagsOf(client, identity.userProfileArn)
    : {};

  const ts = profileTags[REFERENCE_TAG];
  if (ts) {
    const result = await apply(repo, home, ts, false, 'reference-tag');
    if (result.ok) {
      await mkdir(join(home, '.restore'), { recursive: true });
      await writeFile(join(home, '.restore', `${ts}_SYNC_COMPLETE`), '');
    }
    await markDone(client, identity.userProfileArn, REFERENCE_TAG, result);
    applied.push(result);
  }

  for (const arn of [identity.spaceArn, identity.userProfileArn].filter(
    (a): a is string => Boolean(a)
  )) {
    const tags =
      arn === identity.userProfileArn ? profileTags : await tagsOf(client, arn);
    const request = tags[RESTORE_TAG];
    if (request) {
      const [snapshot, mode] = request.split(':');
      const result = await apply(
        repo,
        home,
        snapshot || 'latest',
        mode === 'in-place',
        'tag'
      );
      await markDone(client, arn, RESTORE_TAG, result);
      applied.push(result);
    }
  }

  const file = join(options.stateDir, 'restore-requests.json');
  let requests: FullRestoreRecord[] = [];
  try {
    requests = FullRestoreRecord.array().parse(
      JSON.parse(await readFile(file, 'utf8'))
    );
  } catch {
    // None recorded.
  }
  let changed = false;
  for (const request of requests.filter(
    r => r.state === 'pending' && r.kind === 'full-restore'
  )) {
    const result = await apply(
      repo,
      home,
      request.snapshot,
      request.target === 'original',
      'panel'
    );
    request.state = result.ok ? 'done' : 'failed';
    request.message = result.message;
    changed = true;
    applied.push(result);
  }
  if (changed) {
    await writeFile(`${file}.tmp`, JSON.stringify(requests, null, 2));
    await rename(`${file}.tmp`, file);
  }
  for (const r of applied) {
    log(
      `restore at start (${r.source}) of ${r.snapshot}: ${r.ok ? 'ok' : 'FAILED'}: ${r.message}`
    );
  }
  return applied;
}
