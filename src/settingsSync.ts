/**
 * From JupyterLab's setting registry to the panel's settings, and back: the interval field's
 * default is the interval the agent has in effect, so the Settings Editor shows it while the user
 * set none (a schema transform). No DOM, no agent calls here: index.ts wires them.
 */
import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { DEFAULT_AGENT_PORT } from '@studio-backup/lcc/contract';
import type { IPanelSettings } from './settings';

export const DEFAULT_SETTINGS: IPanelSettings = {
  agentPort: DEFAULT_AGENT_PORT,
  intervalMinutes: null,
  includeHidden: [],
  exclude: [],
  confirmOverwrite: true
};

/**
 * The panel's settings: the composite over the defaults, but the interval only when the user set
 * one (its default is the agent's interval, which must not be sent back as the user's choice).
 */
export function panelSettings(
  composite: Partial<IPanelSettings>,
  user: Partial<IPanelSettings>
): IPanelSettings {
  return {
    ...DEFAULT_SETTINGS,
    ...composite,
    intervalMinutes: user.intervalMinutes ?? null
  };
}

/** The plugin with the interval in effect as the interval field's default (unchanged without one). */
export function withIntervalInEffect(
  plugin: ISettingRegistry.IPlugin,
  minutes: number | undefined
): ISettingRegistry.IPlugin {
  const properties = plugin.schema.properties ?? {};
  const field = properties.intervalMinutes;
  if (minutes === undefined || !field || field.default === minutes) {
    return plugin;
  }
  return {
    ...plugin,
    schema: {
      ...plugin.schema,
      properties: {
        ...properties,
        intervalMinutes: { ...field, default: minutes }
      }
    }
  };
}
