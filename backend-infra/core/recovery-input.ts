/**
 * What the EFS recovery state machine is started with (lib/recovery-state-machine.ts): by the
 * studioUser stream when a home moved, and by an approved request to recover a former profile.
 */
export interface IRecoveryInput {
  profile_name: string;
  domain_name: string;
  kind: 'user' | 'space';
  /** When the recovery was asked for (ms); the history row's sort key. */
  requested_at: number;
  source: { efs_sys_id: string; efs_uid: string; domain_id: string };
  target: {
    efs_sys_id: string;
    efs_uid: string;
    domain_id: string;
    user_profile_name: string;
    space_name: string;
  };
}
