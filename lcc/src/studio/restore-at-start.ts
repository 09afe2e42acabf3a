/**
 * Full restores applied when the app starts, before the first backup. Requests, in this order:
 * - the reference's tag SM_EBS_RESTORE_TIMESTAMP=<ts> on the user profile: its snapshot goes to
 *   $HOME/restored-files/<ts>/ with a $HOME/.restore/<ts>_SYNC_COMPLETE marker, as the reference does;
 * - studio-backup:restore=<snapshot>[:in-place] on the space, or studio-backup:restore:<space> on
 *   the user profile (what the backend sets for a request filed from a space): for this space only;
 * - studio-backup:restore on the user profile: for every space of the profile;
 * - a pending request the panel recorded (restore-requests.json).
 * A request for one space is removed once it succeeds. A profile-wide one stays on the profile
 * (every space applies it) and each space records on its own tags that it has applied that value,
 * so it runs once per space. A failed attempt keeps the request, records its error and attempt count
 * (on the space: studio-backup:last-restore and studio-backup:attempts:<request key>) and is tried
 * again at the next start, MAX_ATTEMPTS times in all.
 */
import {
  AddTagsCommand,
  DeleteTagsCommand,
  ListTagsCommand,
  SageMakerClient,
  Tag
} from '@aws-sdk/client-sagemaker';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FullRestoreRecord } from '../api/contract';
import { RESTORE_TAG } from '../api/layout';
import { JsonFile } from '../state/json-store';
import { Repository } from '../repository/repository';
import { restore } from '../restore/restore';
import { openView } from '../browse/view';
import { RESTORE_FOLDER } from '../backup/excludes';
import { IStudioIdentity } from './identity';

export const REFERENCE_TAG = 'SM_EBS_RESTORE_TIMESTAMP';
export { RESTORE_TAG };
export const RESULT_TAG = 'studio-backup:last-restore';
/** On the space: the value of a profile-wide request it has applied. */
export const APPLIED_TAG = 'studio-backup:applied:';
/** On the space: `<attempts> <request value>` of a request that failed so far. */
export const ATTEMPTS_TAG = 'studio-backup:attempts:';
export const MAX_ATTEMPTS = 3;

/** The profile's tag that asks for a restore of one of its spaces (keys allow ":"; names cannot hold one). */
export const spaceRestoreTag = (space: string) => `${RESTORE_TAG}:${space}`;

export interface IAppliedRestore {
  source: 'reference-tag' | 'tag' | 'panel';
  snapshot: string;
  target: string;
  ok: boolean;
  message: string;
  attempts?: number;
}

/** A tag-borne request: where it is, whether it is for every space, what it asks. */
interface ITagRequest {
  arn: string;
  key: string;
  value: string;
  profileWide: boolean;
  source: IAppliedRestore['source'];
  snapshot: string;
  inPlace: boolean;
}

/** SageMaker tag values allow letters, digits, spaces and _.:/=+-@ only, up to 256 characters. */
export const tagSafe = (text: string) =>
  text.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, ' ').slice(0, 256);

async function tagsOf(
  client: SageMakerClient,
  arn: string
): Promise<Record<string, string>> {
  const out = await client.send(new ListTagsCommand({ ResourceArn: arn }));
  return Object.fromEntries(
    (out.Tags ?? []).map(t => [t.Key ?? '', t.Value ?? ''])
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
      message: (err as Error).message.split('\n')[0]
    };
  }
}

/** The tag-borne requests for this space, and the attempts already made at each. */
function tagRequests(
  identity: IStudioIdentity,
  profileTags: Record<string, string>,
  spaceTags: Record<string, string>
): ITagRequest[] {
  const found: ITagRequest[] = [];
  const add = (
    arn: string | undefined,
    tags: Record<string, string>,
    key: string,
    profileWide: boolean
  ) => {
    const value = tags[key];
    if (!arn || !value) {
      return;
    }
    if (key === REFERENCE_TAG) {
      found.push({
        arn,
        key,
        value,
        profileWide,
        source: 'reference-tag',
        snapshot: value,
        inPlace: false
      });
      return;
    }
    const [snapshot, mode] = value.split(':');
    found.push({
      arn,
      key,
      value,
      profileWide,
      source: 'tag',
      snapshot: snapshot || 'latest',
      inPlace: mode === 'in-place'
    });
  };
  add(identity.userProfileArn, profileTags, REFERENCE_TAG, true);
  add(identity.spaceArn, spaceTags, RESTORE_TAG, false);
  add(
    identity.userProfileArn,
    profileTags,
    spaceRestoreTag(identity.spaceName),
    false
  );
  add(identity.userProfileArn, profileTags, RESTORE_TAG, true);
  return found;
}

/** Attempts made so far at this request value (0 when the record is of another value). */
export function attemptsAt(record: string | undefined, value: string): number {
  const match = /^(\d+) (.*)$/.exec(record ?? '');
  return match && match[2] === tagSafe(value) ? Number(match[1]) : 0;
}

/** What a tag-borne request looks like in the agent's request list. */
function asRecord(
  request: ITagRequest,
  state: FullRestoreRecord['state'],
  message: string,
  attempts: number
): FullRestoreRecord {
  return {
    id: `tag:${request.key}`,
    kind: 'full-restore',
    snapshot: request.snapshot,
    target: request.inPlace ? 'original' : 'side',
    created: new Date().toISOString(),
    state,
    message,
    attempts
  };
}

export interface IStartRestores {
  applied: IAppliedRestore[];
  /** The tag-borne requests seen at this start, as the agent's request list shows them. */
  requests: FullRestoreRecord[];
}

export async function applyPendingRestores(options: {
  client: SageMakerClient;
  identity: IStudioIdentity;
  repo: Repository;
  home: string;
  stateDir: string;
  log: (line: string) => void;
}): Promise<IStartRestores> {
  const { client, identity, repo, home, log } = options;
  const applied: IAppliedRestore[] = [];
  const requests: FullRestoreRecord[] = [];
  const profileTags = identity.userProfileArn
    ? await tagsOf(client, identity.userProfileArn)
    : {};
  const spaceTags = identity.spaceArn
    ? await tagsOf(client, identity.spaceArn)
    : {};
  // Where this space records what it did: its own tags (the profile's when it has no ARN).
  const recordArn = identity.spaceArn ?? identity.userProfileArn;
  const recordTags = identity.spaceArn ? spaceTags : profileTags;
  const now = () => new Date().toISOString();

  for (const request of tagRequests(identity, profileTags, spaceTags)) {
    const done =
      request.profileWide &&
      recordTags[APPLIED_TAG + request.key] === tagSafe(request.value);
    const before = attemptsAt(
      recordTags[ATTEMPTS_TAG + request.key],
      request.value
    );
    if (done) {
      continue;
    }
    if (before >= MAX_ATTEMPTS) {
      requests.push(
        asRecord(
          request,
          'failed',
          `Not tried again after ${before} failed attempts (see ${RESULT_TAG} on the space); change or remove the tag ${request.key}.`,
          before
        )
      );
      continue;
    }
    const result = await apply(
      repo,
      home,
      request.snapshot,
      request.inPlace,
      request.source
    );
    const attempts = before + 1;
    result.attempts = attempts;
    applied.push(result);
    if (result.ok && request.source === 'reference-tag') {
      await mkdir(join(home, '.restore'), { recursive: true });
      await writeFile(
        join(home, '.restore', `${request.value}_SYNC_COMPLETE`),
        ''
      );
    }
    const tags: Tag[] = [
      {
        Key: RESULT_TAG,
        Value: tagSafe(
          `${result.ok ? 'ok' : 'failed'} ${result.snapshot} attempt ${attempts} ${now()}${result.ok ? '' : `: ${result.message}`}`
        )
      }
    ];
    if (result.ok) {
      if (request.profileWide) {
        tags.push({
          Key: APPLIED_TAG + request.key,
          Value: tagSafe(request.value)
        });
      } else {
        await client.send(
          new DeleteTagsCommand({
            ResourceArn: request.arn,
            TagKeys: [request.key]
          })
        );
      }
      if (before > 0) {
        await client.send(
          new DeleteTagsCommand({
            ResourceArn: recordArn,
            TagKeys: [ATTEMPTS_TAG + request.key]
          })
        );
      }
    } else {
      tags.push({
        Key: ATTEMPTS_TAG + request.key,
        Value: tagSafe(`${attempts} ${request.value}`)
      });
    }
    await client.send(
      new AddTagsCommand({ ResourceArn: recordArn, Tags: tags })
    );
    requests.push(
      asRecord(
        request,
        result.ok ? 'done' : attempts >= MAX_ATTEMPTS ? 'failed' : 'pending',
        result.ok
          ? result.message
          : `Attempt ${attempts} of ${MAX_ATTEMPTS} failed: ${result.message}${attempts < MAX_ATTEMPTS ? ' (tried again at the next start)' : ''}`,
        attempts
      )
    );
  }

  await applyPanelRequests(options, applied);
  for (const r of applied) {
    log(
      `restore at start (${r.source}) of ${r.snapshot}: ${r.ok ? 'ok' : `FAILED (attempt ${r.attempts ?? 1} of ${MAX_ATTEMPTS})`}: ${r.message}`
    );
  }
  return { applied, requests };
}

/** The panel's own requests (no backend): kept pending with their error until MAX_ATTEMPTS. */
async function applyPanelRequests(
  options: { repo: Repository; home: string; stateDir: string },
  applied: IAppliedRestore[]
): Promise<void> {
  // The same file, read and written the same way, as the agent's POST /restore-requests.
  const file = new JsonFile(
    join(options.stateDir, 'restore-requests.json'),
    FullRestoreRecord.array(),
    []
  );
  const requests = file.read();
  let changed = false;
  for (const request of requests.filter(
    r => r.state === 'pending' && r.kind === 'full-restore'
  )) {
    const result = await apply(
      options.repo,
      options.home,
      request.snapshot,
      request.target === 'original',
      'panel'
    );
    const attempts = (request.attempts ?? 0) + 1;
    result.attempts = attempts;
    request.attempts = attempts;
    request.state = result.ok
      ? 'done'
      : attempts >= MAX_ATTEMPTS
        ? 'failed'
        : 'pending';
    request.message = result.ok
      ? result.message
      : `Attempt ${attempts} of ${MAX_ATTEMPTS} failed: ${result.message}`;
    changed = true;
    applied.push(result);
  }
  if (changed) {
    file.write(requests);
  }
}
