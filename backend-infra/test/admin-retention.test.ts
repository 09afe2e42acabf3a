/** studio-backup-admin retention set|show|unset against moto DynamoDB, read back as the maintenance Lambda reads it. */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { retentionFor } from '../core/retention-store';
import { createMaintenanceTables, RETENTION_TABLE } from './maintenance-tables';
import { adminCli, IEmulators, startEmulators } from './moto';

const TABLE = RETENTION_TABLE;
let env: IEmulators;

const admin = (...args: string[]) => adminCli(env, args);

beforeAll(async () => {
  env = await startEmulators();
  await createMaintenanceTables(env.dynamodb);
});

afterAll(async () => {
  await env?.stop();
});

test('without a row, the built-in default is in force', async () => {
  const shown = await admin('--json', 'retention', 'show');
  expect(shown.code).toBe(0);
  expect(JSON.parse(shown.out)).toEqual([
    {
      scope: 'default',
      policy: 'hourly 24, daily 14, weekly 8, monthly 12',
      reference_copies: 'kept',
      source: 'built-in',
      updated: ''
    }
  ]);
});

test('set writes the domain default and a profile override; show and the Lambda read them back', async () => {
  expect(
    (await admin('retention', 'set', '--keep-daily', '7', '--keep-weekly', '4'))
      .code
  ).toBe(0);
  const set = await admin(
    'retention',
    'set',
    '--profile',
    'alice',
    '--keep-last',
    '3',
    '--include-reference-copies'
  );
  expect(set.code).toBe(0);
  expect(set.out).toMatch(/profile#alice\s+last 3\s+forgotten too/);

  const shown = JSON.parse((await admin('--json', 'retention', 'show')).out);
  expect(
    shown.map((r: any) => [r.scope, r.policy, r.reference_copies, r.source])
  ).toEqual([
    ['default', 'daily 7, weekly 4', 'kept', 'default'],
    ['profile#alice', 'last 3', 'forgotten too', 'profile']
  ]);
  expect(await retentionFor(env.dynamodb, TABLE, 'alice')).toMatchObject({
    policy: { last: 3 },
    includeReferenceCopies: true,
    source: 'profile'
  });
  expect(await retentionFor(env.dynamodb, TABLE, 'bob')).toMatchObject({
    policy: { daily: 7, weekly: 4 },
    includeReferenceCopies: false,
    source: 'default'
  });

  const unset = await admin(
    '--json',
    'retention',
    'unset',
    '--profile',
    'alice'
  );
  expect(unset.code).toBe(0);
  expect(JSON.parse(unset.out)[0]).toMatchObject({
    scope: 'profile#alice',
    policy: 'daily 7, weekly 4',
    source: 'default'
  });
});

test('bad input gets a one-line error and writes nothing; --dry-run writes nothing', async () => {
  const before = await env.dynamodb.send(new ScanCommand({ TableName: TABLE }));
  for (const [args, message] of [
    [['retention', 'set'], 'No retention rule given: pass at least one of'],
    [
      ['retention', 'set', '--keep-daily', '0'],
      '--keep-daily takes a whole number, 1 or more, not "0".'
    ],
    [
      ['retention', 'set', '--keep-hourly', '2.5'],
      '--keep-hourly takes a whole number'
    ],
    [
      ['retention', 'set', '--profile', '../x', '--keep-last', '1'],
      '"../x" is not a user profile name.'
    ]
  ] as Array<[string[], string]>) {
    const r = await admin(...args);
    expect(r.code).toBe(1);
    expect(r.err).toContain(message);
    expect(r.err.split('\n')).toHaveLength(1);
  }
  const dry = await admin('retention', 'set', '--keep-last', '1', '--dry-run');
  expect(dry.code).toBe(0);
  const after = await env.dynamodb.send(new ScanCommand({ TableName: TABLE }));
  expect(after.Items).toEqual(before.Items);
});
