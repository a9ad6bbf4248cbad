// Pairs the task runs of two flow runs of one flow: by run name when it is
// unique within its run, else by task name and order of creation
// ("load-3" in both runs is the same step; the third "load" otherwise).
import type { TaskRun } from './types';
import { span_seconds } from './format';

export interface Pair { key: string; task_name: string; a?: TaskRun; b?: TaskRun; note: string }

function keys(runs: TaskRun[]): Map<string, TaskRun> {
  const names = new Map<string, number>();
  for (const t of runs) if (t.run_name) names.set(t.run_name, (names.get(t.run_name) ?? 0) + 1);
  const ordinal = new Map<string, number>();
  const out = new Map<string, TaskRun>();
  const sorted = [...runs].sort((x, y) => (x.created < y.created ? -1 : x.created > y.created ? 1 : 0));
  for (const t of sorted) {
    let k: string;
    if (t.run_name && names.get(t.run_name) === 1) k = t.run_name;
    else { const n = ordinal.get(t.task_name) ?? 0; ordinal.set(t.task_name, n + 1); k = `${t.task_name}#${n + 1}`; }
    out.set(k, t);
  }
  return out;
}

export function pair_task_runs(a: TaskRun[], b: TaskRun[]): Pair[] {
  const ka = keys(a), kb = keys(b);
  const all = new Set([...ka.keys(), ...kb.keys()]);
  const out: Pair[] = [];
  for (const k of all) {
    const x = ka.get(k), y = kb.get(k);
    out.push({ key: k, task_name: (x ?? y)!.task_name, a: x, b: y, note: note(x, y) });
  }
  return out.sort((p, q) => (p.a?.created ?? p.b?.created ?? '').localeCompare(q.a?.created ?? q.b?.created ?? ''));
}

function note(a?: TaskRun, b?: TaskRun): string {
  if (!a) return 'only in B';
  if (!b) return 'only in A';
  if (a.state === 'Cached' && b.state !== 'Cached') return b.state === 'Completed' ? 'cached in A, computed in B' : 'cached in A';
  if (b.state === 'Cached' && a.state !== 'Cached') return a.state === 'Completed' ? 'computed in A, cached in B' : 'cached in B';
  if (a.state !== b.state) return 'state differs';
  const da = span_seconds(a.start_time, a.end_time), db = span_seconds(b.start_time, b.end_time);
  if (da !== null && db !== null && Math.max(da, db) > 0.05 && Math.max(da, db) / Math.max(1e-3, Math.min(da, db)) > 2) return 'duration differs ×2+';
  return '';
}

// Keys whose values differ between two parameter objects (compared as JSON).
export function param_rows(a: Record<string, unknown> = {}, b: Record<string, unknown> = {}) {
  const ks = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return ks.map((k) => {
    const x = k in a ? JSON.stringify(a[k]) : undefined, y = k in b ? JSON.stringify(b[k]) : undefined;
    return { key: k, a: x, b: y, differs: x !== y };
  });
}
