// The time axis of the timeline and the chart: a view [t0, t1] in ms mapped
// to [0, width] px, with zoom around a point and pan, clamped to the data.

export interface View { t0: number; t1: number }

export function to_px(v: View, width: number, t: number): number {
  return ((t - v.t0) / (v.t1 - v.t0)) * width;
}
export function to_time(v: View, width: number, x: number): number {
  return v.t0 + (x / width) * (v.t1 - v.t0);
}

// factor < 1 zooms in. The time under anchor_x stays under it.
export function zoom(v: View, width: number, anchor_x: number, factor: number, bounds: View, min_span = 1): View {
  const at = to_time(v, width, anchor_x);
  let span = Math.max(min_span, (v.t1 - v.t0) * factor);
  span = Math.min(span, bounds.t1 - bounds.t0);
  const frac = anchor_x / width;
  return clamp({ t0: at - span * frac, t1: at - span * frac + span }, bounds);
}

export function pan(v: View, width: number, dx_px: number, bounds: View): View {
  const dt = (dx_px / width) * (v.t1 - v.t0);
  return clamp({ t0: v.t0 - dt, t1: v.t1 - dt }, bounds);
}

export function clamp(v: View, bounds: View): View {
  const span = v.t1 - v.t0;
  if (span >= bounds.t1 - bounds.t0) return { ...bounds };
  if (v.t0 < bounds.t0) return { t0: bounds.t0, t1: bounds.t0 + span };
  if (v.t1 > bounds.t1) return { t0: bounds.t1 - span, t1: bounds.t1 };
  return v;
}

// Tick marks at a round step (1, 2, 5 × 10^k ms, or minutes/hours).
const STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5,
  9e5, 18e5, 36e5, 72e5, 108e5, 216e5, 432e5, 864e5, 1728e5, 6048e5];
export function ticks(v: View, width: number, min_px = 80): { step: number; times: number[] } {
  const span = v.t1 - v.t0;
  const want = (span / width) * min_px;
  const step = STEPS.find((s) => s >= want) ?? STEPS[STEPS.length - 1];
  const times: number[] = [];
  for (let t = Math.ceil(v.t0 / step) * step; t <= v.t1 && times.length < 200; t += step) times.push(t);
  return { step, times };
}

export function tick_label(t: number, step: number, origin: number): string {
  const rel = t - origin;
  if (step < 1000) return `+${(rel / 1000).toFixed(step < 10 ? 3 : step < 100 ? 2 : 1)}s`;
  if (step < 60000) return `+${Math.round(rel / 1000)}s`;
  if (step < 3600000) return `+${Math.floor(rel / 60000)}m${Math.round((rel % 60000) / 1000) ? Math.round((rel % 60000) / 1000) + 's' : ''}`;
  return `+${(rel / 3600000).toFixed(rel % 3600000 ? 1 : 0)}h`;
}
