/** Retention in force, kept-until per snapshot, the last maintenance run, and storage. */
import { MaintenanceResponse } from '../../api/contract';
import { keptUntil } from '../../maintenance/kept-until';
import { applyPolicy } from '../../maintenance/retention';
import { DEFAULT_RETENTION } from '../../maintenance/retention-store';
import {
  IRepositoryStats,
  monthlyStorageCost,
  repositoryStats
} from '../../maintenance/stats';
import type { ISnapshotInfo } from '../../repository/snapshots';
import { backendError } from '../backend';
import { existingRepo, IAgentContext } from '../context';
import { Router } from '../http';

const EMPTY_STATS: IRepositoryStats = {
  snapshots: 0,
  packs: 0,
  storedBytes: 0,
  logicalBytes: 0,
  latestBytes: 0,
  ratio: 0
};

export function maintenanceRoutes(router: Router, ctx: IAgentContext): Router {
  const { options, backend, effectiveSettings } = ctx;
  return router.add('GET', '/maintenance', async () => {
    // Before the first backup there is no repository: nothing stored, nothing to keep.
    const r = await existingRepo(ctx);
    const [setting, lastRun, storage, snapshots] = await Promise.all([
      backend ? backend.retention().catch(backendError) : undefined,
      backend ? backend.lastMaintenance().catch(backendError) : undefined,
      r ? repositoryStats(r) : EMPTY_STATS,
      r ? r.listSnapshots() : Promise.resolve([] as ISnapshotInfo[])
    ]);
    const retention = setting ?? {
      policy: DEFAULT_RETENTION,
      source: 'built-in' as const,
      includeReferenceCopies: false
    };
    const intervalMinutes = effectiveSettings().intervalMinutes || 60;
    const ours = snapshots.filter(
      s => s.kind === 'studio-backup' && !s.damaged
    );
    const until = keptUntil(ours, retention.policy, intervalMinutes);
    // Reference copies are forgotten only with the admin's opt-in, by the same policy among
    // themselves (no new ones come): those it removes go at the next run, the rest stay.
    if (retention.includeReferenceCopies) {
      const copies = snapshots.filter(
        s => s.kind === 'reference' && s.complete
      );
      for (const s of applyPolicy(copies, retention.policy).remove) {
        until.set(s.id, new Date().toISOString());
      }
    }
    const body: MaintenanceResponse = {
      retention: {
        policy: retention.policy,
        source: retention.source,
        includeReferenceCopies: retention.includeReferenceCopies
      },
      keptUntil: Object.fromEntries(
        snapshots.map(s => [s.id, until.get(s.id) ?? null])
      ),
      intervalMinutes,
      lastRun: lastRun
        ? {
            time: lastRun.started_at,
            status: lastRun.status,
            message: lastRun.message,
            snapshotsForgotten: lastRun.snapshots_forgotten,
            snapshotsKept: lastRun.snapshots_kept,
            bytesFreed: lastRun.bytes_freed,
            durationMs: lastRun.duration_ms
          }
        : null,
      storage: {
        snapshots: storage.snapshots,
        storedBytes: storage.storedBytes,
        logicalBytes: storage.logicalBytes,
        latestBytes: storage.latestBytes,
        ratio: storage.ratio,
        ...(options.repository.startsWith('s3://')
          ? {
              monthlyCost: monthlyStorageCost(
                storage.storedBytes,
                process.env.AWS_REGION ??
                  process.env.AWS_DEFAULT_REGION ??
                  'us-east-1'
              )
            }
          : {})
      },
      ...(setting
        ? {}
        : {
            reason:
              'The Studio Backup backend is not deployed for this domain, so no maintenance runs: this is the default policy it would apply.'
          })
    };
    return { body };
  });
}
