// Small pieces the automation pages share.
import { StateBadge } from '../../components/StateBadge';
import { fmt_time, short_id } from '../../lib/format';
import type { FlowRun } from '../../lib/types';

export function PausedBadge({ paused }: { paused?: boolean }) {
  return paused
    ? <span class="badge cancelled" data-testid="paused-badge"><span aria-hidden="true">‖</span>Paused</span>
    : <span class="badge ok" data-testid="paused-badge"><span aria-hidden="true">▶</span>Active</span>;
}

export function err_text(e: unknown): string { return e instanceof Error ? e.message : String(e); }

// Runs that wait for their time or for a worker, and runs that started.
export const UPCOMING = new Set(['Scheduled', 'Late', 'Pending', 'AwaitingConcurrencySlot', 'Paused']);

export function RunLink({ r }: { r: FlowRun }) {
  return <a href={`/flow-runs/${r.id}`}>{r.run_name || short_id(r.id)}</a>;
}

export function LastRun({ r }: { r?: FlowRun | null }) {
  if (!r) return <span class="muted">none yet</span>;
  return <span class="row" style={{ gap: '.4rem' }}><StateBadge state={r.state} /><RunLink r={r} /></span>;
}

export function times(list?: string[], n = 3): string {
  if (!list || list.length === 0) return '—';
  return list.slice(0, n).map((t) => fmt_time(t)).join(', ') + (list.length > n ? ` (+${list.length - n})` : '');
}
