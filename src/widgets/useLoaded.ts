import * as React from 'react';
import { AgentError } from '../api';
import { errorMessage } from '../errors';

export type Loaded<T> =
  | { state: 'loading' }
  | { state: 'ready'; value: T }
  /** `unreachable`: the agent could not be reached (it is down, or not started). */
  | { state: 'error'; message: string; unreachable: boolean };

/**
 * Runs `load` when `deps` change and answers its state; an answer to an older load (slow, then
 * overtaken) never replaces a newer one. `reload` runs it again.
 */
export function useLoaded<T>(
  load: () => Promise<T>,
  deps: React.DependencyList
): [Loaded<T>, () => void] {
  const [loaded, setLoaded] = React.useState<Loaded<T>>({ state: 'loading' });
  const latest = React.useRef(0);
  const run = React.useCallback(() => {
    const seq = ++latest.current;
    setLoaded({ state: 'loading' });
    load().then(
      value => seq === latest.current && setLoaded({ state: 'ready', value }),
      err =>
        seq === latest.current &&
        setLoaded({
          state: 'error',
          message: errorMessage(err),
          unreachable: err instanceof AgentError && err.kind === 'unreachable'
        })
    );
  }, deps);
  React.useEffect(() => {
    run();
    return () => {
      latest.current++;
    };
  }, [run]);
  return [loaded, run];
}
