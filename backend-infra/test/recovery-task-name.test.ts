/**
 * Review of 9c04fed: a space's studioUser row is keyed `space#<name>`, and the recovery state
 * machine names its DataSync task after the row's key. DataSync task names match
 * ^[a-zA-Z0-9\s+=._:@/-]+$ (CreateTask / TaskListEntry, AWS DataSync API reference): no '#', so
 * CreateTask of every space's recovery is refused (InvalidRequestException) and the space's home is
 * never copied.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { spaceRowKey } from '../core/home-rows';
import { recoveryFor } from '../lambda/recovery-trigger';
import { stateMachineDefinition, synthStack } from './synth';

const DATASYNC_TASK_NAME = /^[a-zA-Z0-9\s+=._:@/-]+$/;

function find(node: unknown, key: string): string[] {
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node as Record<string, unknown>).flatMap(([k, v]) =>
    k === key && typeof v === 'string' ? [v] : find(v, key)
  );
}

it("a space's recovery names its DataSync task with characters DataSync accepts", () => {
  const image = (uid: string, efs: string) =>
    marshall({
      profile_name: spaceRowKey('lab'),
      domain_name: 'd-1',
      domain_id: 'd-1',
      user_profile_name: 'alice',
      space_name: 'lab',
      efs_sys_id: efs,
      efs_uid: uid
    }) as any;
  const input = recoveryFor({
    eventName: 'MODIFY',
    dynamodb: {
      OldImage: image('200001', 'fs-1'),
      NewImage: image('200002', 'fs-1')
    }
  });
  expect(input).not.toHaveProperty('skip');
  const names = find(stateMachineDefinition(synthStack().template), 'Name.$');
  expect(names).toEqual([
    "States.Format('studio-backup-{}-{}', $.kind, $.target.efs_uid)"
  ]);
  const name = `studio-backup-${(input as any).kind}-${(input as any).target.efs_uid}`;
  expect(name).toBe('studio-backup-space-200002');
  expect(name).toMatch(DATASYNC_TASK_NAME);
});
