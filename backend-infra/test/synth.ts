import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StudioBackupStack } from '../lib/studio-backup-stack';

/** Synthesizes the stack once per test file (bundling the Lambdas with esbuild, offline). */
export function synthStack(context: Record<string, string> = {}): {
  stack: Stack;
  template: Template;
} {
  const app = new App({ context });
  const stack = new StudioBackupStack(app, 'Test', {
    env: { account: '123456789012', region: 'us-east-1' }
  });
  return { stack, template: Template.fromStack(stack) };
}

type States = Record<string, any>;

/** The state machine's definition from the template (its Fn::Join parts, tokens as placeholders). */
export function stateMachineDefinition(template: Template): {
  States: States;
  StartAt: string;
} {
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const [machine] = Object.values(machines);
  const body = machine.Properties.DefinitionString;
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
