/**
 * studio-backup-admin migrate: it finds the domain's profiles, starts the migration state machine
 * with the admin's choices, and follows it. Step Functions is moto's (running a Pass state: the
 * real machine's distributed map is asserted on the template in migration.test.ts); SageMaker's
 * list calls go to the stand-in.
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  SFNClient
} from '@aws-sdk/client-sfn';
import { adminCli, IEmulators, runStateMachines, startEmulators } from './moto';

let env: IEmulators;
let sfn: SFNClient;
let arn: string;

const admin = (...args: string[]) => adminCli(env, args, { sfn });

beforeAll(async () => {
  env = await startEmulators();
  await runStateMachines(env);
  sfn = new SFNClient({ endpoint: env.moto.endpoint });
  arn = (
    await sfn.send(
      new CreateStateMachineCommand({
        name: 'migration',
        roleArn: 'arn:aws:iam::123456789012:role/migration',
        definition: JSON.stringify({
          StartAt: 'Done',
          States: { Done: { Type: 'Pass', End: true } }
        })
      })
    )
  ).stateMachineArn!;
  const s = env.sagemakerState;
  s.domains['d-mig'] = {
    name: 'research',
    efsId: 'fs-1',
    defaultUserSettings: {}
  };
  for (const name of ['alice', 'bob']) {
    s.profiles[name] = {
      domainId: 'd-mig',
      arn: `arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-mig/${name}`
    };
  }
});

afterAll(async () => {
  sfn?.destroy();
  await env?.stop();
});

test("starts the migration with the domain's profiles and the admin's choices", async () => {
  const started = await admin(
    '--json',
    '--migration-arn',
    arn,
    'migrate',
    '--domain',
    'research',
    '--since',
    '2024-06-01',
    '--delete-copies'
  );
  expect(started.code).toBe(0);
  const [row] = JSON.parse(started.out);
  expect(row).toMatchObject({
    domain: 'd-mig',
    profiles: 2,
    since: '2024-06-01',
    delete_copies: 'yes, once verified'
  });
  const run = await sfn.send(
    new DescribeExecutionCommand({ executionArn: row.execution })
  );
  expect(JSON.parse(run.input!)).toEqual({
    deleteCopies: true,
    since: '2024-06-01',
    profiles: ['alice', 'bob']
  });
});

test('with --wait, follows the run to its end', async () => {
  const waited = await admin(
    '--json',
    '--migration-arn',
    arn,
    'migrate',
    '--domain',
    'd-mig',
    '--wait'
  );
  expect(waited.code).toBe(0);
  expect(JSON.parse(waited.out)[0]).toMatchObject({ status: 'SUCCEEDED' });
});

test('keeps the copies unless asked, and says in one line what is wrong', async () => {
  const dry = await admin(
    '--json',
    'migrate',
    '--domain',
    'd-mig',
    '--dry-run'
  );
  expect(JSON.parse(dry.out)[0]).toMatchObject({ delete_copies: 'no' });
  const noArn = await admin('migrate', '--domain', 'd-mig');
  expect(noArn.code).toBe(1);
  expect(noArn.err).toMatch(/--migration-arn/);
  const badDomain = await admin(
    '--migration-arn',
    arn,
    'migrate',
    '--domain',
    'nope'
  );
  expect(badDomain.err).toMatch(/No Studio domain nope/);
  const badSince = await admin(
    '--migration-arn',
    arn,
    'migrate',
    '--domain',
    'd-mig',
    '--since',
    'yesterday'
  );
  expect(badSince.err.split('\n')).toHaveLength(1);
  expect(badSince.err).toMatch(/is not a time/);
});
