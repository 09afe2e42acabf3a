/** A whole snapshot restored into a new temporary folder, as `studio-backup restore SNAPSHOT` does. */
import { openView } from '../../src/browse/view';
import { Repository } from '../../src/repository/repository';
import { restore } from '../../src/restore/restore';
import { tempDir } from './fixtures';

export async function restoreAll(
  repo: Repository,
  snapshot = 'latest'
): Promise<string> {
  const target = tempDir('target');
  await restore(await openView(repo, snapshot), {
    paths: [],
    target,
    conflict: 'skip'
  });
  return target;
}
