import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '../src/lib/sse';
import { layout_dag } from '../src/lib/layout';
import { clamp, pan, ticks, zoom } from '../src/lib/timescale';
import { pair_task_runs, param_rows } from '../src/lib/compare';
import { fmt_duration, parse_time, span_seconds } from '../src/lib/format';
import { segments_of, state_kind } from '../src/lib/states';
import { match } from '../src/lib/router';
import type { TaskRun } from '../src/lib/types';

describe('the SSE parser', () => {
  it('emits events split across chunks at any byte, and skips keep-alive comments', () => {
    const text = ': keep-alive\n\nevent: task_run\ndata: {"id":"a"}\n\nevent: log\ndata: line one\ndata: line two\r\n\r\n';
    for (let cut = 0; cut <= text.length; ++cut) {
      const got: SseEvent[] = [];
      const p = new SseParser((e) => got.push(e));
      p.push(text.slice(0, cut)); p.push(text.slice(cut));
      expect(got).toEqual([{ event: 'task_run', data: '{"id":"a"}' }, { event: 'log', data: 'line one\nline two' }]);
    }
  });
  it('names an event without an event field "message"', () => {
    const got: SseEvent[] = [];
    new SseParser((e) => got.push(e)).push('data: x\n\n');
    expect(got).toEqual([{ event: 'message', data: 'x' }]);
  });
});

describe('the graph layout', () => {
  it('puts every node after its upstream nodes', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const edges: [string, string][] = [['a', 'b'], ['a', 'c'], ['b', 'd'], ['c', 'd'], ['d', 'e'], ['a', 'e']];
    const l = layout_dag({ ids, edges }, { col_width: 100, row_height: 20 });
    for (const [u, d] of edges) expect(l.nodes.get(u)!.layer).toBeLessThan(l.nodes.get(d)!.layer);
    expect(l.layers.map((x) => x.length)).toEqual([1, 2, 1, 1]);
  });
  it('places every node of a cyclic or dangling input once, without hanging', () => {
    const l = layout_dag({ ids: ['a', 'b', 'c'], edges: [['a', 'b'], ['b', 'a'], ['c', 'zz']] }, { col_width: 1, row_height: 1 });
    expect(l.nodes.size).toBe(3);
    expect(l.layers.flat().sort()).toEqual(['a', 'b', 'c']);
  });
  it('lays out 5,000 nodes in a fan-out and fan-in', () => {
    const ids = ['src', 'sink'], edges: [string, string][] = [];
    for (let i = 0; i < 5000; ++i) { ids.push(`n${i}`); edges.push(['src', `n${i}`], [`n${i}`, 'sink']); }
    const l = layout_dag({ ids, edges }, { col_width: 1, row_height: 1 });
    expect(l.layers.map((x) => x.length)).toEqual([1, 5000, 1]);
  });
});

describe('the time scale', () => {
  const bounds = { t0: 0, t1: 1000 };
  it('keeps the time under the pointer when zooming', () => {
    const v = zoom(bounds, 100, 25, 0.5, bounds);
    expect(v.t1 - v.t0).toBe(500);
    expect(v.t0 + 0.25 * (v.t1 - v.t0)).toBeCloseTo(250);
  });
  it('never pans or zooms past the data', () => {
    expect(pan({ t0: 0, t1: 500 }, 100, 50, bounds)).toEqual({ t0: 0, t1: 500 });
    expect(zoom(bounds, 100, 50, 4, bounds)).toEqual(bounds);
    expect(clamp({ t0: 800, t1: 1300 }, bounds)).toEqual({ t0: 500, t1: 1000 });
  });
  it('puts ticks at a round step', () => {
    const t = ticks({ t0: 0, t1: 60000 }, 600, 80);
    expect(t.step).toBe(10000);
    expect(t.times[0]).toBe(0);
  });
});

const tr = (id: string, task_name: string, run_name: string, state: TaskRun['state'], created: string): TaskRun =>
  ({ id, task_name, run_name, state, created, start_time: created, end_time: created });

describe('comparing two runs', () => {
  it('pairs runs by unique run name and tells cached from computed', () => {
    const a = [tr('1', 'load', 'load-1', 'Completed', '2026-01-01T00:00:01Z'), tr('2', 'fit', 'fit-1', 'Cached', '2026-01-01T00:00:02Z')];
    const b = [tr('3', 'load', 'load-1', 'Cached', '2026-01-02T00:00:01Z'), tr('4', 'fit', 'fit-1', 'Completed', '2026-01-02T00:00:02Z'), tr('5', 'x', 'x-1', 'Failed', '2026-01-02T00:00:03Z')];
    const p = pair_task_runs(a, b);
    expect(p.map((x) => [x.key, x.note])).toEqual([['load-1', 'computed in A, cached in B'], ['fit-1', 'cached in A, computed in B'], ['x-1', 'only in B']]);
  });
  it('pairs repeated run names by task name and order', () => {
    const a = [tr('1', 't', 't', 'Completed', '2026-01-01T00:00:01Z'), tr('2', 't', 't', 'Failed', '2026-01-01T00:00:02Z')];
    const b = [tr('3', 't', 't', 'Completed', '2026-01-01T00:00:01Z'), tr('4', 't', 't', 'Completed', '2026-01-01T00:00:02Z')];
    expect(pair_task_runs(a, b).map((x) => [x.key, x.a?.id, x.b?.id, x.note])).toEqual([['t#1', '1', '3', ''], ['t#2', '2', '4', 'state differs']]);
  });
  it('marks the parameters that differ', () => {
    expect(param_rows({ n: 1, s: 'x' }, { n: 2, s: 'x', extra: true })).toEqual([
      { key: 'extra', a: undefined, b: 'true', differs: true }, { key: 'n', a: '1', b: '2', differs: true }, { key: 's', a: '"x"', b: '"x"', differs: false }]);
  });
});

describe('formatting and states', () => {
  it('reads RFC 3339 times with microseconds', () => {
    expect(parse_time('2026-12-07T11:25:30.123456Z')).toBe(Date.UTC(2026, 11, 7, 11, 25, 30, 123));
    expect(span_seconds('2026-12-07T11:25:30.000000Z', '2026-12-07T11:25:32.500000Z')).toBe(2.5);
  });
  it('prints durations as people read them', () => {
    expect(fmt_duration(0.0123)).toBe('12 ms');
    expect(fmt_duration(75)).toBe('1m 15s');
    expect(fmt_duration(null)).toBe('—');
  });
  it('turns counts by state into bar segments that add up to one', () => {
    const s = segments_of({ Completed: 6, Failed: 2, Crashed: 2 });
    expect(s.map((x) => x.kind)).toEqual(['failed', 'crashed', 'ok']);
    expect(s.reduce((a, x) => a + x.frac, 0)).toBeCloseTo(1);
    expect(state_kind('TimedOut')).toBe('failed');
  });
  it('matches client-side routes', () => {
    expect(match('/flow-runs/:id', '/flow-runs/abc%2D1')).toEqual({ id: 'abc-1' });
    expect(match('/flow-runs/:id', '/flow-runs')).toBeNull();
  });
});

import { seg_widths } from '../src/lib/states';
describe('bar segments', () => {
  it('keep 3 failures in 100,000 runs visible and still fill the bar exactly', () => {
    const w = seg_widths(segments_of({ Failed: 3, Completed: 99997 }), 150);
    expect(w[0]).toEqual(['failed', 4]);
    expect(w.reduce((a, [, x]) => a + x, 0)).toBeCloseTo(150);
  });
});

import { is_complete, merge_task_run } from '../src/lib/merge';
describe('live task-run updates', () => {
  const known = tr('a', 'step', 'step-1', 'Running', '2026-01-01T00:00:01Z');
  it('change the state and end, and never erase names or the start', () => {
    const m = merge_task_run(known, { id: 'a', task_name: '', run_name: '', created: '1970-01-01T00:00:00.000000Z', start_time: null, state: 'Completed', end_time: '2026-01-01T00:00:05Z', flow_run: null });
    expect(m.task_name).toBe('step');
    expect(m.run_name).toBe('step-1');
    expect(m.created).toBe('2026-01-01T00:00:01Z');
    expect(m.start_time).toBe('2026-01-01T00:00:01Z');
    expect(m.state).toBe('Completed');
    expect(m.end_time).toBe('2026-01-01T00:00:05Z');
  });
  it('tell a partial record from one that can be shown as a new row', () => {
    expect(is_complete({ id: 'x', task_name: '', created: '1970-01-01T00:00:00Z' })).toBe(false);
    expect(is_complete(known)).toBe(true);
  });
});
