import { HealthResponse } from '@studio-backup/lcc/contract';
import { AgentError } from '../api';
import { AgentModel, AgentState, IHealthSource } from '../model';

/** A health source whose answers the test scripts; the real agent is exercised by the UI tests. */
class ScriptedAgent implements IHealthSource {
  constructor(
    readonly port: number,
    public answer: () => Promise<HealthResponse>
  ) {}
  health(): Promise<HealthResponse> {
    return this.answer();
  }
}

const healthy: HealthResponse = {
  version: '1.2.3',
  repository: 'file:///r',
  status: 'ok'
};

describe('AgentModel', () => {
  let model: AgentModel;
  afterEach(() => model?.dispose());

  it('starts in "checking" and becomes "running" with the agent health', async () => {
    model = new AgentModel(
      new ScriptedAgent(8765, async () => healthy),
      60_000
    );
    expect(model.state).toEqual({ kind: 'checking' });
    const seen: AgentState[] = [];
    model.stateChanged.connect((_, state) => seen.push(state));
    await model.refresh();
    expect(model.state).toEqual({ kind: 'running', health: healthy });
    expect(seen).toEqual([{ kind: 'running', health: healthy }]);
  });

  it('reports an unreachable agent with the error kind and message', async () => {
    const agent = new ScriptedAgent(9999, async () => {
      throw new AgentError('unreachable', 'not reachable on port 9999');
    });
    model = new AgentModel(agent, 60_000);
    await model.refresh();
    expect(model.state).toEqual({
      kind: 'failed',
      reason: 'unreachable',
      message: 'not reachable on port 9999'
    });
  });

  it('does not signal when nothing changed', async () => {
    model = new AgentModel(
      new ScriptedAgent(8765, async () => healthy),
      60_000
    );
    let signals = 0;
    model.stateChanged.connect(() => signals++);
    await model.refresh();
    await model.refresh();
    expect(signals).toBe(1);
  });

  it('ignores a late answer from the agent it was pointed at before', async () => {
    let releaseOld: (value: HealthResponse) => void = () => undefined;
    const oldAgent = new ScriptedAgent(
      1111,
      () => new Promise<HealthResponse>(resolve => (releaseOld = resolve))
    );
    model = new AgentModel(oldAgent, 60_000);
    const pending = model.refresh();
    const newHealth = { ...healthy, version: '2.0.0' };
    await model.setClient(new ScriptedAgent(2222, async () => newHealth));
    releaseOld({ ...healthy, version: 'stale' });
    await pending;
    expect(model.port).toBe(2222);
    expect(model.state).toEqual({ kind: 'running', health: newHealth });
  });

  it('turns an unexpected exception into a failed state instead of throwing', async () => {
    model = new AgentModel(
      new ScriptedAgent(8765, async () => {
        throw new TypeError('boom');
      }),
      60_000
    );
    await expect(model.refresh()).resolves.toBeUndefined();
    expect(model.state).toMatchObject({
      kind: 'failed',
      message: 'TypeError: boom'
    });
  });
});
