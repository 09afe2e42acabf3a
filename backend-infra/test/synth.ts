import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StudioBackupStack } from '../lib/studio-backup-stack';

/**
 * The stack in an app of its own, without bundling the Lambda code: the templates are the same
 * (a function's code is a placeholder asset), and a synthesis takes a second instead of ten.
 * cfn-lint.test.ts synthesizes once with bundling, as `cdk synth` does, and checks the bundles.
 */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({
    context: { 'aws:cdk:bundling-stacks': [], ...context },
    outdir: synthFolder()
  });
}

/** Where the apps of this test file synthesize: one folder, removed after its tests. */
let folder: string | undefined;

// Registered as the test file imports this module, so that it runs after all its tests.
afterAll(() => {
  if (folder !== undefined) {
    rmSync(folder, { recursive: true, force: true });
    folder = undefined;
  }
});

function synthFolder(): string {
  if (folder === undefined) {
    // Left to itself, each App made a cdk.out folder of its own in the system's temp folder and
    // left it there: 168 of them after one run of the suite.
    folder = mkdtempSync(join(tmpdir(), 'studio-backup-synth-'));
  }
  return folder;
}

export function synthStack(
  context: Record<string, string> = {},
  id = 'Test'
): {
  app: App;
  stack: Stack;
  template: Template;
} {
  const app = testApp(context);
  const stack = new StudioBackupStack(app, id, {
    env: { account: '123456789012', region: 'us-east-1' }
  });
  return { app, stack, template: Template.fromStack(stack) };
}

type States = Record<string, any>;

/** A state machine's resource, by a part of its logical id (RecoverHome, ProcessRequest). */
export function stateMachine(template: Template, name: string): any {
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const found = Object.entries(machines).filter(([id]) => id.includes(name));
  if (found.length !== 1) {
    throw new Error(`${found.length} state machines named like ${name}`);
  }
  return found[0][1];
}

/** A state machine's definition from the template (its Fn::Join parts, tokens as placeholders). */
export function stateMachineDefinition(
  template: Template,
  name = 'RecoverHome'
): {
  States: States;
  StartAt: string;
} {
  const body = stateMachine(template, name).Properties.DefinitionString;
  const text =
    typeof body === 'string'
      ? body
      : (body['Fn::Join'][1] as unknown[])
          .map(part =>
            typeof part === 'string'
              ? part
              : (part as any)?.Ref === 'AWS::Partition'
                ? 'aws'
                : 'TOKEN'
          )
          .join('');
  return JSON.parse(text);
}

/** Every state reachable in one step: Next, Default, Choices, Catch. */
export function successors(state: any): string[] {
  return [
    state.Next,
    state.Default,
    ...(state.Choices ?? []).map((c: any) => c.Next),
    ...(state.Catch ?? []).map((c: any) => c.Next)
  ].filter(Boolean);
}

/**
 * A state machine's definition as the emulator can run it: each reference of the template replaced by
 * the value given for the first part of its logical id that it contains (a table's name, a queue URL).
 */
export function emulatorDefinition(
  template: Template,
  name: string,
  values: Array<[string, string]>,
  startAt?: string
): string {
  const body = stateMachine(template, name).Properties.DefinitionString;
  const resolve = (part: any): string => {
    if (typeof part === 'string') return part;
    const ref: string | undefined = part.Ref ?? part['Fn::GetAtt']?.[0];
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::Region') return 'us-east-1';
    if (ref === 'AWS::AccountId') return '123456789012';
    const found = values.find(([part]) => ref?.includes(part));
    if (found) return found[1];
    throw new Error(
      `unresolved reference in the definition: ${JSON.stringify(part)}`
    );
  };
  const text: string =
    typeof body === 'string' ? body : body['Fn::Join'][1].map(resolve).join('');
  const definition = JSON.parse(text);
  return JSON.stringify(
    startAt ? { ...definition, StartAt: startAt } : definition
  );
}
