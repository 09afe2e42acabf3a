import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';
import { CommandIDs } from '../commands';
import type { IBackupsContext } from '../context';

/** Preview and Compare for a file of a snapshot, each in a main-area tab. */
export function FileActions(props: {
  ctx: IBackupsContext;
  snapshot: string;
  path: string;
}): JSX.Element {
  const { ctx, snapshot, path } = props;
  const trans = ctx.trans;
  const open = (command: string) =>
    void ctx.commands.execute(command, { snapshot, path });
  return (
    <>
      <Button
        minimal
        className="jp-StudioBackup-preview"
        onClick={() => open(CommandIDs.preview)}
      >
        {trans.__('Preview')}
      </Button>
      <Button
        minimal
        className="jp-StudioBackup-compareFile"
        onClick={() => open(CommandIDs.compareFile)}
      >
        {trans.__('Compare with current')}
      </Button>
    </>
  );
}
