import { applySync, type ApplyOptions, type SyncResult } from './apply';
import { planSync, type PlanOptions, type SyncPlan } from './plan';

export type SyncDirectoryOptions = PlanOptions & Omit<ApplyOptions, 'signal'>;

/** planSync() then applySync(): one directory ↔ one label. */
export async function syncDirectory(options: SyncDirectoryOptions): Promise<SyncResult & { plan: SyncPlan }> {
  const plan = await planSync(options);
  const result = await applySync(plan, options);
  return { ...result, plan };
}
