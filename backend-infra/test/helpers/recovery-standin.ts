/**
 * A stand-in for the AWS calls of the recovery that moto 5.2.5 lacks: SageMaker ListApps and
 * DataSync with EFS locations (CreateLocationEfs, CreateTask, StartTaskExecution,
 * DescribeTaskExecution, CancelTaskExecution, DeleteTask, DeleteLocation, ListTasks, ListLocations).
 * It speaks the services' JSON 1.1 wire protocol, so the real SDK v3 clients talk to it; a task
 * execution reports TRANSFERRING on its first describe and its final status after.
 */
import {
  IJsonStandin,
  JsonHandlers,
  JsonReply,
  serveJsonProtocol
} from '../../../lcc/test/helpers/json-protocol-server';

export interface IRecoveryStandinState {
  /** Apps per user profile or space name, as ListApps returns them. */
  apps: Record<string, Array<{ AppName: string; Status: string }>>;
  locations: Record<string, { uri: string }>;
  tasks: Record<string, { source: string; target: string; name: string }>;
  executions: Record<string, { task: string; describes: number }>;
  /** How a copy ends: SUCCESS, or ERROR with this result. */
  copyOutcome: 'SUCCESS' | 'ERROR';
  calls: string[];
}

export const newStandinState = (): IRecoveryStandinState => ({
  apps: {},
  locations: {},
  tasks: {},
  executions: {},
  copyOutcome: 'SUCCESS',
  calls: []
});

const ARN = 'arn:aws:datasync:us-east-1:123456789012';
const notFound = (arn: string): JsonReply => ({
  status: 400,
  body: { __type: 'InvalidRequestException', message: `${arn} not found` }
});

function handlers(state: IRecoveryStandinState): JsonHandlers {
  let counter = 0;
  const id = () => (++counter).toString(16).padStart(17, '0');
  return {
    ListApps: input => ({
      body: {
        Apps: (
          state.apps[input.UserProfileNameEquals ?? input.SpaceNameEquals] ?? []
        ).map(app => ({ DomainId: input.DomainIdEquals, ...app }))
      }
    }),
    CreateLocationEfs: input => {
      const arn = `${ARN}:location/loc-${id()}`;
      const fs = String(input.EfsFilesystemArn).split('/').pop();
      state.locations[arn] = {
        uri: `efs://us-east-1.${fs}${input.Subdirectory}/`
      };
      return { body: { LocationArn: arn } };
    },
    CreateTask: input => {
      for (const arn of [
        input.SourceLocationArn,
        input.DestinationLocationArn
      ]) {
        if (!state.locations[arn]) return notFound(arn);
      }
      const arn = `${ARN}:task/task-${id()}`;
      state.tasks[arn] = {
        source: input.SourceLocationArn,
        target: input.DestinationLocationArn,
        name: input.Name
      };
      return { body: { TaskArn: arn } };
    },
    StartTaskExecution: input => {
      if (!state.tasks[input.TaskArn]) return notFound(input.TaskArn);
      const arn = `${input.TaskArn}/execution/exec-${id()}`;
      state.executions[arn] = { task: input.TaskArn, describes: 0 };
      return { body: { TaskExecutionArn: arn } };
    },
    DescribeTaskExecution: input => {
      const execution = state.executions[input.TaskExecutionArn];
      if (!execution) return notFound(input.TaskExecutionArn);
      const done = ++execution.describes > 1;
      return {
        body: {
          TaskExecutionArn: input.TaskExecutionArn,
          Status: done ? state.copyOutcome : 'TRANSFERRING',
          BytesWritten: done ? 4096 : 1024,
          FilesTransferred: done ? 3 : 1,
          Result: { TotalDuration: done ? 1500 : 0 }
        }
      };
    },
    CancelTaskExecution: input =>
      state.executions[input.TaskExecutionArn]
        ? { body: {} }
        : notFound(input.TaskExecutionArn),
    DeleteTask: input => {
      if (!state.tasks[input.TaskArn]) return notFound(input.TaskArn);
      delete state.tasks[input.TaskArn];
      return { body: {} };
    },
    DeleteLocation: input => {
      if (!state.locations[input.LocationArn]) {
        return notFound(input.LocationArn);
      }
      delete state.locations[input.LocationArn];
      return { body: {} };
    },
    ListTasks: () => ({
      body: {
        Tasks: Object.entries(state.tasks).map(([TaskArn, t]) => ({
          TaskArn,
          Name: t.name
        }))
      }
    }),
    ListLocations: () => ({
      body: {
        Locations: Object.entries(state.locations).map(([LocationArn, l]) => ({
          LocationArn,
          LocationUri: l.uri
        }))
      }
    })
  };
}

export async function startRecoveryStandin(
  state: IRecoveryStandinState
): Promise<IJsonStandin> {
  return serveJsonProtocol(handlers(state), state.calls);
}
