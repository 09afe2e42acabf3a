import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { panelSettings, withIntervalInEffect } from '../settingsSync';

const plugin = {
  id: 'sagemaker-studio-backup:plugin',
  raw: '{}',
  data: { composite: {}, user: {} },
  version: '0.1.0',
  schema: {
    type: 'object',
    properties: {
      agentPort: { type: 'integer', default: 8765 },
      intervalMinutes: { type: ['integer', 'null'], default: null }
    }
  }
} as unknown as ISettingRegistry.IPlugin;

describe('withIntervalInEffect', () => {
  it('shows the interval the agent has in effect as the field default', () => {
    const shown = withIntervalInEffect(plugin, 720);
    expect(shown.schema.properties?.intervalMinutes.default).toBe(720);
    expect(shown.schema.properties?.agentPort.default).toBe(8765);
    expect(shown.id).toBe(plugin.id);
    // The registry's own copy is left as it was.
    expect(plugin.schema.properties?.intervalMinutes.default).toBeNull();
  });

  it('leaves the schema alone while the interval in effect is unknown', () => {
    expect(withIntervalInEffect(plugin, undefined)).toBe(plugin);
  });
});

describe('panelSettings', () => {
  it('takes the interval from what the user set, not from the default shown', () => {
    expect(
      panelSettings({ agentPort: 9000, intervalMinutes: 720 }, {})
    ).toMatchObject({ agentPort: 9000, intervalMinutes: null });
    expect(
      panelSettings({ intervalMinutes: 30 }, { intervalMinutes: 30 })
        .intervalMinutes
    ).toBe(30);
  });

  it('fills in the defaults', () => {
    expect(panelSettings({}, {})).toMatchObject({
      agentPort: 8765,
      confirmOverwrite: true,
      includeHidden: [],
      exclude: []
    });
  });
});
