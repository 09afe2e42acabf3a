/** The panel's settings (JupyterLab's Settings Editor) and the part of them the agent applies. */
import type { AgentSettings } from '@studio-backup/lcc/contract';

export interface IPanelSettings {
  agentPort: number;
  /** null: the interval the lifecycle configuration set. */
  intervalMinutes: number | null;
  includeHidden: string[];
  exclude: string[];
  confirmOverwrite: boolean;
}

function sameList(a: string[] | undefined, b: string[]): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b);
}

/** What to PUT to the agent so that it matches the user's settings; null when it already does. */
export function agentSettingsUpdate(
  desired: IPanelSettings,
  current: AgentSettings
): AgentSettings | null {
  const update: AgentSettings = {};
  if (
    desired.intervalMinutes !== null &&
    desired.intervalMinutes !== current.intervalMinutes
  ) {
    update.intervalMinutes = desired.intervalMinutes;
  }
  if (!sameList(current.includeHidden, desired.includeHidden)) {
    update.includeHidden = desired.includeHidden;
  }
  if (!sameList(current.exclude, desired.exclude)) {
    update.exclude = desired.exclude;
  }
  return Object.keys(update).length > 0 ? update : null;
}
