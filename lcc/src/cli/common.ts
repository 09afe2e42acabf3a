/** What every command shares: the repository option, --json output, progress display, exit codes. */
import { Command, Option } from 'commander';
import { openBackend, openForReading } from '../repository/open';
import { Repository } from '../repository/repository';
import { humanBytes, IProgress } from '../progress/progress';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
/** The backup completed, but some files were skipped or changed while being read. */
export const EXIT_PARTIAL = 3;

let exitCode = EXIT_OK;

/** A command that finished but wants a non-zero exit (e.g. EXIT_PARTIAL) says so here. */
export function setExitCode(code: number): void {
  exitCode = code;
}

export function takeExitCode(): number {
  const code = exitCode;
  exitCode = EXIT_OK;
  return code;
}

export interface IGlobalOptions {
  repo?: string;
  json?: boolean;
}

export function withRepo(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--repo <url>',
        'repository: s3://bucket/prefix, file:///dir or a directory'
      ).env('STUDIO_BACKUP_REPO')
    )
    .option('--json', 'print machine-readable JSON');
}

export async function openRepository(
  options: IGlobalOptions,
  create = false
): Promise<Repository> {
  return Repository.open(openBackend(options.repo ?? ''), { create });
}

/** For commands that only read: a location with only the reference LCC's copies is read as it is. */
export function openReadOnly(options: IGlobalOptions): Promise<Repository> {
  return openForReading(options.repo ?? '');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export { humanBytes };

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) =>
    Math.max(...rows.map(r => (r[c] ?? '').length))
  );
  return rows
    .map(r =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c])))
        .join('  ')
    )
    .join('\n');
}

/** A progress bar on a TTY, JSON lines with --json, nothing otherwise. */
export function progressPrinter(
  json: boolean | undefined
): ((p: IProgress) => void) | undefined {
  if (json) {
    return p => printJson({ type: 'progress', ...p });
  }
  if (!process.stderr.isTTY) {
    return undefined;
  }
  return p => {
    const fraction =
      p.bytesTotal > 0
        ? Math.min(1, p.bytesDone / p.bytesTotal)
        : p.phase === 'done'
          ? 1
          : 0;
    const width = 30;
    const bar = '#'.repeat(Math.round(fraction * width)).padEnd(width, '.');
    const etaText = p.etaSeconds !== undefined ? ` ETA ${p.etaSeconds}s` : '';
    process.stderr.write(
      `\r[${bar}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${p.filesDone}/${p.filesTotal} files  ${humanBytes(p.bytesDone)}/${humanBytes(p.bytesTotal)}  new ${humanBytes(p.bytesNew)}${etaText}   `
    );
    if (p.phase === 'done') {
      process.stderr.write('\n');
    }
  };
}

/** "label: done/total unit" on one rewritten line of a TTY's stderr; nothing otherwise. */
export function countPrinter(
  label: string,
  unit: string
): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) {
    return undefined;
  }
  return (done, total) => {
    process.stderr.write(`\r${label}: ${done}/${total} ${unit}   `);
    if (done === total) {
      process.stderr.write('\n');
    }
  };
}
