import type { TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import { agentUrl, errorFromResponse, unreachableText } from '../api';

/** A catalogue that marks every text it translates, so a text that bypasses it shows. */
function marking(): TranslationBundle {
  const english = nullTranslator.load('sagemaker_studio_backup');
  return {
    ...english,
    __: (msgid: string, ...args: any[]) => `«${english.__(msgid, ...args)}»`
  } as TranslationBundle;
}

const unreachable =
  'Backup agent not reachable on port 8765: is the lifecycle configuration attached?';

describe('agentUrl', () => {
  it('goes through the Jupyter server extension under the base URL', () => {
    expect(agentUrl('/jupyterlab/default/', 8765, 'health')).toBe(
      '/jupyterlab/default/studio-backup/agent/8765/api/v1/health'
    );
    expect(agentUrl('http://localhost:8888/', 9000, 'status')).toBe(
      'http://localhost:8888/studio-backup/agent/9000/api/v1/status'
    );
  });

  it('never goes through jupyter-server-proxy, which the agent refuses', () => {
    expect(agentUrl('/', 8765, 'backup')).not.toMatch(/\/proxy\//);
  });
});

describe('errorFromResponse', () => {
  it('passes the agent own one-line error through', () => {
    const error = errorFromResponse(
      400,
      { error: 'Path escapes the home.' },
      unreachable
    );
    expect(error.kind).toBe('http');
    expect(error.message).toBe('Path escapes the home.');
    expect(error.status).toBe(400);
  });

  it('says the server extension is not loaded on a bare 404', () => {
    const error = errorFromResponse(404, undefined, unreachable);
    expect(error.kind).toBe('no-server-extension');
    expect(error.message).toMatch(
      /has not loaded the Studio Backup server extension: restart the Jupyter server/
    );
  });

  it('treats the server extension finding no agent as an unreachable agent', () => {
    const error = errorFromResponse(
      502,
      {
        error:
          'No backup agent has started on port 8765 for this user (no agent-8765.json in /home/sagemaker-user/.studio-backup): is the lifecycle configuration attached?',
        reason: 'agent-unreachable'
      },
      unreachable
    );
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe(unreachable);
  });

  it('passes the agent refusing a caller without its secret through as is', () => {
    const error = errorFromResponse(
      403,
      {
        error: 'The agent answers only requests forwarded by the Jupyter server'
      },
      unreachable
    );
    expect(error.kind).toBe('http');
    expect(error.message).toMatch(/^The agent answers only requests forwarded/);
  });

  it.each([502, 599])('treats a bare %i as an unreachable agent', status => {
    const error = errorFromResponse(status, undefined, unreachable);
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe(unreachable);
  });

  it('asks to reload on a 403 from the Jupyter server', () => {
    expect(errorFromResponse(403, undefined, unreachable).message).toMatch(
      /reload the page/
    );
  });
});

describe('the client words its errors through the translator (#16 item 9)', () => {
  const trans = marking();

  it('translates the unreachable text', () => {
    expect(unreachableText(8765, trans)).toBe(`«${unreachable}»`);
  });

  it.each([404, 403, 418])(
    'translates what it says about a bare %i',
    status => {
      expect(
        errorFromResponse(status, undefined, unreachable, trans).message
      ).toMatch(/^«.*»$/);
    }
  );
});

describe("the server extension's reason codes, worded by the panel through the translator", () => {
  const trans = marking();
  const record = '/home/sagemaker-user/.studio-backup/agent-8765.json';
  // The English `error` is for the server's log: a known code never shows it.
  const english = 'THE SERVER EXTENSION ENGLISH';

  it.each([
    [
      'agent-no-record',
      { port: 8765, dirs: ['/home/sagemaker-user/.studio-backup'] },
      'unreachable',
      `«${unreachable}»`
    ],
    [
      'agent-record-unreadable',
      { port: 8765, path: record, detail: 'Permission denied' },
      'unreachable',
      `«Cannot read the backup agent's record ${record}: Permission denied.»`
    ],
    [
      'agent-record-permissions',
      { port: 8765, path: record },
      'unreachable',
      `«Not using ${record}: it must belong to this user and be readable by no one else (chmod 600 ${record}).»`
    ],
    [
      'agent-record-invalid',
      { port: 8765, path: record },
      'unreachable',
      `«${record} is not a record the backup agent wrote: restart the agent.»`
    ],
    [
      'agent-no-answer',
      { port: 8765, detail: 'Stream is closed' },
      'unreachable',
      '«The backup agent on port 8765 did not answer (Stream is closed): it may be starting or stopping, try again in a moment.»'
    ],
    [
      'no-such-endpoint',
      { path: '/studio-backup/agent/8765/other' },
      'http',
      '«The Jupyter server has no Studio Backup endpoint /studio-backup/agent/8765/other: reload the page (the panel and the server extension may be of different versions).»'
    ]
  ])('%s', (reason, details, kind, message) => {
    const error = errorFromResponse(
      reason === 'no-such-endpoint' ? 404 : 502,
      { error: english, reason, ...details },
      `«${unreachable}»`,
      trans
    );
    expect(error.kind).toBe(kind);
    expect(error.message).toBe(message);
  });

  it('words the code of an older server extension, agent-unreachable, as the panel does', () => {
    const error = errorFromResponse(
      502,
      { error: english, reason: 'agent-unreachable' },
      `«${unreachable}»`,
      trans
    );
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe(`«${unreachable}»`);
  });

  it("passes an unknown code's error through (the agent's own)", () => {
    const error = errorFromResponse(
      409,
      { error: 'A backup is already running.', reason: 'busy' },
      `«${unreachable}»`,
      trans
    );
    expect(error.kind).toBe('http');
    expect(error.message).toBe('A backup is already running.');
  });
});
