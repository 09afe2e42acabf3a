import * as React from 'react';
import type { IDiffLine } from '../preview';

/** Lines of a diff, each marked added (+), removed (−) or the same. */
export function DiffLines(props: { lines: IDiffLine[] }): JSX.Element {
  return (
    <pre className="jp-StudioBackup-diff">
      {props.lines.map((line, i) => (
        <div key={i} className={`jp-StudioBackup-diff-${line.kind}`}>
          {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
          {line.text}
        </div>
      ))}
    </pre>
  );
}
