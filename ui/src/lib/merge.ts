// Live updates (SSE task_run events) may carry only what changed: empty names,
// a null flow run or start, an epoch creation time. An update never erases
// what the page already knows.
import type { TaskRun } from './types';

const EPOCH = /^1970-01-01T00:00:00/;

function meaningful(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return false;
  if (typeof v === 'string' && EPOCH.test(v)) return false;
  return true;
}

export function merge_task_run(old: TaskRun | undefined, update: Partial<TaskRun> & { id: string }): TaskRun {
  const out: Record<string, unknown> = { ...(old ?? {}) };
  for (const [k, v] of Object.entries(update)) {
    if (meaningful(v) || !(k in out)) out[k] = v;
    // A state change clears the message and may end the run: those follow the update.
    else if (k === 'state_message' || k === 'end_time') out[k] = v;
  }
  return out as unknown as TaskRun;
}

// Whether a record is complete enough to show as a new row (has its names).
export function is_complete(t: Partial<TaskRun>): boolean {
  return meaningful(t.task_name) && meaningful(t.created);
}
