// States: their colour (a CSS variable, themed), a text label and a symbol, so
// a state is never told by colour alone.
import type { StateName } from './types';

export const ALL_STATES: StateName[] = ['Scheduled', 'Pending', 'Running', 'Retrying', 'AwaitingRetry',
  'Completed', 'Cached', 'Failed', 'TimedOut', 'Crashed', 'Cancelled', 'NotReady', 'Late', 'Paused',
  'AwaitingConcurrencySlot'];

// The states a filter offers. Late, Paused and AwaitingConcurrencySlot are
// shown but not filtered on: the server keeps a Late run as Scheduled (the
// Scheduled filter finds it) and refuses them as filter values.
export const FILTER_STATES: StateName[] = ALL_STATES.filter((s) => s !== 'Late' && s !== 'Paused' && s !== 'AwaitingConcurrencySlot');

export const FAILURE_STATES: StateName[] = ['Failed', 'Crashed', 'TimedOut'];
export const FINAL_STATES = new Set<string>(['Completed', 'Cached', 'Failed', 'TimedOut', 'Crashed', 'Cancelled']);

// late: past its time and not started (Late), or held back (Paused, AwaitingRetry);
// queued: ready but waiting for a concurrency slot (AwaitingConcurrencySlot).
export type StateKind = 'ok' | 'cached' | 'failed' | 'crashed' | 'running' | 'waiting' | 'cancelled' | 'late' | 'queued';

export function state_kind(s: string): StateKind {
  switch (s) {
    case 'Completed': return 'ok';
    case 'Cached': return 'cached';
    case 'Failed': case 'TimedOut': return 'failed';
    case 'Crashed': return 'crashed';
    case 'Running': case 'Retrying': return 'running';
    case 'Cancelled': return 'cancelled';
    case 'Late': case 'Paused': case 'AwaitingRetry': return 'late';
    case 'AwaitingConcurrencySlot': return 'queued';
    default: return 'waiting';
  }
}

export const KIND_SYMBOL: Record<StateKind, string> = {
  ok: '✓', cached: '↺', failed: '✗', crashed: '☠', running: '▶', waiting: '…', cancelled: '⊘', late: '◔', queued: '◷',
};

// Canvas drawing cannot read CSS variables cheaply per bar: read them once per theme.
export function state_colors(el: Element = document.documentElement): Record<StateKind, string> {
  const cs = getComputedStyle(el);
  const get = (k: StateKind) => cs.getPropertyValue(`--st-${k}`).trim() || '#888';
  return { ok: get('ok'), cached: get('cached'), failed: get('failed'), crashed: get('crashed'),
    running: get('running'), waiting: get('waiting'), cancelled: get('cancelled'), late: get('late'), queued: get('queued') };
}

export function is_final(s: string): boolean { return FINAL_STATES.has(s); }

// Counts by state → bar segments in a stable order (failures first to stand out).
const KIND_ORDER: StateKind[] = ['failed', 'crashed', 'late', 'queued', 'running', 'waiting', 'cancelled', 'cached', 'ok'];
export function segments_of(counts: Record<string, number> | undefined): { kind: StateKind; frac: number }[] {
  if (!counts) return [];
  const by = new Map<StateKind, number>();
  let total = 0;
  for (const [s, c] of Object.entries(counts)) { if (c > 0) { by.set(state_kind(s), (by.get(state_kind(s)) ?? 0) + c); total += c; } }
  if (!total) return [];
  return KIND_ORDER.filter((k) => by.has(k)).map((k) => ({ kind: k, frac: by.get(k)! / total }));
}
export function counts_text(counts: Record<string, number> | undefined): string {
  if (!counts) return '';
  return Object.entries(counts).filter(([, c]) => c > 0).sort((a, b) => b[1] - a[1]).map(([s, c]) => `${c.toLocaleString('en-US')} ${s}`).join(', ');
}

// Segment widths where every non-empty one is at least 4 px (3 failures in
// 100,000 runs must still show), taken from the largest.
export function seg_widths(segs: { kind: StateKind; frac: number }[], w: number): [StateKind, number][] {
  const out: [StateKind, number][] = segs.map((s) => [s.kind, Math.max(s.frac > 0 ? 4 : 0, s.frac * w)]);
  const over = out.reduce((a, [, x]) => a + x, 0) - w;
  if (over > 0 && out.length) { let big = 0; out.forEach(([, x], i) => { if (x > out[big][1]) big = i; }); out[big][1] = Math.max(0, out[big][1] - over); }
  return out;
}
