import { agentUrl, errorFromResponse } from '../api';

const unreachable =
  'Backup agent not reachable on port 8765: is the lifecycle configuration attached?';

describe('agentUrl', () => {
  it('goes through the Jupyter server proxy under the base URL', () => {
    expect(agentUrl('/jupyterlab/default/', 8765, 'health')).toBe(
      '/jupyterlab/default/proxy/8765/api/v1/health'
    );
    expect(agentUrl('http://localhost:8888/', 9000, 'status')).toBe(
      'http://localhost:8888/proxy/9000/api/v1/status'
    );
  });
});

describe('errorFromResponse', () => {
  it('passes the agent own one-line error through', () => {
    const error = errorFromResponse(
      400,
      { error: 'Path escapes the home.' },
      unreachable,
      8765
    );
    expect(error.kind).toBe('http');
    expect(error.message).toBe('Path escapes the home.');
    expect(error.status).toBe(400);
  });

  it('says jupyter-server-proxy is missing on a bare 404', () => {
    const error = errorFromResponse(404, undefined, unreachable, 8765);
    expect(error.kind).toBe('no-proxy');
    expect(error.message).toMatch(/install jupyter-server-proxy/);
  });

  it.each([502, 599])('treats a proxy %i as an unreachable agent', status => {
    const error = errorFromResponse(status, undefined, unreachable, 8765);
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe(unreachable);
  });

  it('asks to reload on a 403 from the Jupyter server', () => {
    expect(
      errorFromResponse(403, undefined, unreachable, 8765).message
    ).toMatch(/reload the page/);
  });
});
