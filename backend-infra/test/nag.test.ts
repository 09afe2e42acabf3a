/** cdk-nag's AwsSolutions pack on the whole stack: synthesis fails on any finding not acknowledged with a reason in code. */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StudioBackupStack } from '../lib/studio-backup-stack';
import { testApp } from './synth';

jest.setTimeout(120_000);

it('passes the AwsSolutions checks, every acknowledgement justified in code', () => {
  const app = testApp();
  new StudioBackupStack(app, 'Nag', {
    env: { account: '123456789012', region: 'us-east-1' }
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let report = '';
  try {
    app.synth();
  } catch (err) {
    report = String(err instanceof Error ? err.message : err);
  }
  const findings = [
    ...new Set(report.match(/AwsSolutions-[A-Z0-9]+(\[[^\]]*\])?[^\n]*/g) ?? [])
  ];
  expect(findings).toEqual([]);
});
