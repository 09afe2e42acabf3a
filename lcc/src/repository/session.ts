/**
 * One repository kept open by a long-lived reader (the agent), so that a request does not reopen
 * it and re-read every manifest and index file: each request costs a LIST or two, and reads only
 * what a backup added since (Repository.listSnapshots, refreshIndex). Where only the reference
 * LCC's copies were, it opens again until a backup has created the repository.
 */
import { Repository } from './repository';

export class RepositorySession {
  private opened?: Promise<Repository>;

  constructor(private readonly open: () => Promise<Repository>) {}

  async reader(): Promise<Repository> {
    const current = this.opened && (await this.opened.catch(() => undefined));
    if (current && !current.overReferenceOnly) {
      if (current.hasIndex) {
        await current.refreshIndex();
      }
      return current;
    }
    // A failed open is not kept: the next request tries again.
    const opening = this.open();
    this.opened = opening;
    opening.catch(() => {
      if (this.opened === opening) {
        this.opened = undefined;
      }
    });
    return opening;
  }
}
