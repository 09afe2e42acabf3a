#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { StudioBackupStack } from '../lib/studio-backup-stack';

const app = new App();
new StudioBackupStack(app, 'StudioBackup', {
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION
  }
});
