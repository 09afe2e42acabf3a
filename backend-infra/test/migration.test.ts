/**
 * `studio-backup-admin migrate` in the backend: the migration Lambda on moto over HTTP imports a
 * repository's reference copies, verifies them, and deletes them only when asked (a profile outside
 * the domain is left alone); the state machine, which moto cannot run (a distributed map), is
 * asserted on the template: the maintenance machinery with the migration worker, its queue, its
 * alarm, and a role that may delete only objects named like a copy, and locks.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { check } from '../../lcc/src/maintenance/check';
import { listReferenceSnapshots } from '../../lcc/src/repository/reference';
import { Repository } from '../../lcc/src/repository/repository';
import { S3Backend } from '../../lcc/src/repository/s3-backend';
import { cleanupTempDirs } from '../../lcc/test/helpers/fixtures';
import { runMigration } from '../lambda/migrate';
import { IEmulators, startEmulators } from './moto';
import { stateMachineDefinition, synthStack } from './synth';

const BUCKET = 'migration-test';
const ROOT = 'studio-backups';
let env: IEmulators;

async function referenceCopy(prefix: string, ts: string, complete = true) {
  const files: Array<[string, string]> = [
    [`${ts}/home/notes.txt`, `notes of ${ts}`],
    [`${ts}/home/data/table.csv`, 'a,b\n'.repeat(5000)],
    ...(complete
      ? ([[`${ts}/${ts}_BACKUP_COMPLETE`, '']] as Array<[string, string]>)
      : [])
  ];
  for (const [key, body] of files) {
    await env.moto.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${prefix}/${key}`,
        Body: Buffer.from(body)
      })
    );
  }
}

const copiesOf = async (prefix: string) =>
  (await listReferenceSnapshots(S3Backend.create(BUCKET, prefix))).map(
    c => c.id
  );

beforeAll(async () => {
  env = await startEmulators();
  await env.moto.createBucket(BUCKET);
});

afterAll(async () => {
  cleanupTempDirs();
  await env?.stop();
});

test('imports and verifies, deletes only when asked and only complete copies, skips other domains', async () => {
  const alice = `${ROOT}/alice/default`;
  const bob = `${ROOT}/bob/default`;
  await referenceCopy(alice, '2024-06-01-10-00-00');
  await referenceCopy(alice, '2024-06-02-10-00-00');
  await referenceCopy(alice, '2024-06-03-10-00-00', false);
  await referenceCopy(bob, '2024-06-01-10-00-00');
  const ctx = { bucket: BUCKET, root: ROOT };
  const item = { since: '', profiles: ['alice'] };

  const first = await runMigration(
    { prefix: alice, deleteCopies: false, ...item },
    ctx
  );
  expect(first).toMatchObject({
    status: 'migrated',
    profile: 'alice',
    space: 'default',
    copiesImported: 2,
    copiesVerified: 2,
    copiesDeleted: 0,
    problems: []
  });
  expect(await copiesOf(alice)).toHaveLength(3);

  const second = await runMigration(
    { prefix: alice, deleteCopies: true, ...item },
    ctx
  );
  expect(second).toMatchObject({ copiesImported: 0, copiesDeleted: 2 });
  expect(await copiesOf(alice)).toEqual(['2024-06-03-10-00-00']);
  const repo = await Repository.open(S3Backend.create(BUCKET, alice));
  expect((await check(repo, { readData: true })).problems).toEqual([]);
  expect(
    (await repo.listSnapshots()).filter(s => s.kind === 'studio-backup')
  ).toHaveLength(2);

  expect(
    await runMigration({ prefix: bob, deleteCopies: true, ...item }, ctx)
  ).toMatchObject({ status: 'not-in-domain' });
  expect(await copiesOf(bob)).toEqual(['2024-06-01-10-00-00']);
  expect(
    await runMigration(
      { prefix: `${ROOT}/carol/default`, deleteCopies: true, since: '' },
      ctx
    )
  ).toMatchObject({ status: 'no-copies' });
});

describe('the migration state machine (synthesized)', () => {
  const { template } = synthStack();
  const definition = stateMachineDefinition(template, 'Migration');
  const map = definition.States.EveryRepository;
  const item = map.ItemProcessor.States.Migrate;

  test("reuses the maintenance's listing and map, with the admin's choices in every item", () => {
    expect(definition.StartAt).toBe('List');
    expect(map.ItemProcessor.ProcessorConfig.Mode).toBe('DISTRIBUTED');
    expect(map.ItemSelector).toEqual({
      'prefix.$': '$$.Map.Item.Value.prefix',
      'deleteCopies.$': '$.deleteCopies',
      'since.$': '$.since',
      'profiles.$': '$.profiles'
    });
    const lambdas = Object.values(
      template.findResources('AWS::Lambda::Function')
    );
    expect(
      lambdas.filter((f: any) =>
        String(f.Properties.Description).startsWith('Lists every')
      )
    ).toHaveLength(1);
  });

  test('retries, then its own dead-letter queue and an alarm on it', () => {
    expect(
      item.Retry.map((r: any) => [r.ErrorEquals, r.MaxAttempts])
    ).toContainEqual([['States.ALL'], 2]);
    expect(item.Catch[0].Next).toBe('RepositoryToDeadLetters');
    for (const state of ['List', 'EveryRepository']) {
      expect(definition.States[state].Catch[0].Next).toBe('RunToDeadLetters');
    }
    const queue = Object.keys(template.findResources('AWS::SQS::Queue')).find(
      id => id.includes('FailedMigrations')
    );
    const alarms = Object.values(
      template.findResources('AWS::CloudWatch::Alarm')
    );
    expect(
      alarms.some((a: any) =>
        JSON.stringify(a.Properties.Dimensions ?? []).includes(queue!)
      )
    ).toBe(true);
  });

  test('its role deletes only objects named like a copy, and lock objects', () => {
    const policies = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.includes('Migrator'))
      .flatMap(([, p]: any) => p.Properties.PolicyDocument.Statement);
    const deletes = policies.filter((s: any) =>
      [].concat(s.Action).includes('s3:DeleteObject' as never)
    );
    expect(deletes).toHaveLength(1);
    const resources = JSON.stringify(deletes[0].Resource);
    expect(resources).toContain('/studio-backups/*/*/????-??-??-??-??-??/*');
    expect(resources).toContain('/studio-backups/*/*/locks/*');
    expect(deletes[0].Resource).toHaveLength(2);
  });
});
