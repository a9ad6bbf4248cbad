import { useEffect, useRef, useState } from 'preact/hooks';
import { list_task_runs } from '../../lib/api';
import { FAILURE_STATES, FILTER_STATES } from '../../lib/states';
import { fmt_clock, fmt_count, fmt_duration, span_seconds } from '../../lib/format';
import { StateBadge } from '../../components/StateBadge';
import { VirtualList } from '../../components/VirtualList';
import type { TaskRun } from '../../lib/types';
import { is_complete, merge_task_run } from '../../lib/merge';

// The task runs of a flow run, any number of them: pages of 500 are fetched as
// the list scrolls, and only the rows in view are in the DOM. Live task_run
// events update loaded rows in place (the parent passes them in `live`).
const PAGE = 500;

export interface TaskTableHandle { apply(t: TaskRun): void }

export function TaskTable({ flow_run, total, register, initial_state, on_state }: {
  flow_run: string; total: number; register: (h: TaskTableHandle | null) => void;
  initial_state: string; on_state: (s: string) => void;
}) {
  const [state, set_state] = useState(initial_state);
  const [name, set_name] = useState('');
  const [rows, set_rows] = useState<TaskRun[]>([]);
  const [done, set_done] = useState(false);
  const [error, set_error] = useState<string | null>(null);
  const [sel, set_sel] = useState<number | null>(null);
  const [jump, set_jump] = useState<number | null>(null);
  const cursor = useRef<string | null>(null);
  const busy = useRef(false);
  const gen = useRef(0);
  const index = useRef(new Map<string, number>());
  const pending_jump = useRef(false);

  const load_more = async () => {
    if (busy.current || done) return;
    busy.current = true;
    const g = gen.current;
    try {
      const p = await list_task_runs(flow_run, { state: state || undefined, name: name || undefined, limit: PAGE, cursor: cursor.current ?? undefined });
      if (g !== gen.current) return;
      cursor.current = p.next_cursor;
      set_rows((r) => {
        const out = r.concat(p.task_runs);
        p.task_runs.forEach((t, i) => index.current.set(t.id, r.length + i));
        return out;
      });
      if (!p.next_cursor) set_done(true);
      if (pending_jump.current) { pending_jump.current = false; if (p.task_runs.length) { set_sel(0); set_jump(0); } }
      set_error(null);
    } catch (e) { if (g === gen.current) set_error(e instanceof Error ? e.message : String(e)); }
    finally { if (g === gen.current) busy.current = false; }
  };
  const reset = () => { ++gen.current; busy.current = false; cursor.current = null; index.current = new Map(); set_rows([]); set_done(false); set_sel(null); };
  useEffect(() => { reset(); }, [state, name]);
  useEffect(() => { if (rows.length === 0 && !done) void load_more(); }, [rows.length, done, state, name]);
  useEffect(() => {
    register({
      apply(t) {
        const i = index.current.get(t.id);
        if (i !== undefined) set_rows((r) => { const c = r.slice(); c[i] = merge_task_run(c[i], t); return c; });
        else if (done && is_complete(t) && (!state || state.split(',').includes(t.state)) && (!name || t.task_name.includes(name) || (t.run_name ?? '').includes(name)))
          set_rows((r) => { index.current.set(t.id, r.length); return r.concat(t); });
      },
    });
    return () => register(null);
  }, [done, state, name]);

  const jump_to_failure = () => {
    const failures = FAILURE_STATES.join(',');
    if (state !== failures) { pending_jump.current = true; set_state(failures); on_state(failures); }
    else if (rows.length) { set_sel(0); set_jump(0); }
  };
  const s = sel !== null ? rows[sel] : null;
  return (
    <div>
      <div class="row" style={{ marginBottom: '.5rem' }}>
        <label class="row">State
          <select value={state} onChange={(e) => { const v = (e.target as HTMLSelectElement).value; set_state(v); on_state(v); }} aria-label="Task run state filter">
            <option value="">any</option>
            <option value={FAILURE_STATES.join(',')}>failed, crashed or timed out</option>
            {FILTER_STATES.map((x) => <option key={x} value={x}>{x}</option>)}
          </select></label>
        <label class="row">Name<input value={name} onChange={(e) => set_name((e.target as HTMLInputElement).value)} placeholder="task or run name" /></label>
        <button type="button" onClick={jump_to_failure} data-testid="jump-failure">Jump to first failure</button>
        <span class="muted" data-testid="task-table-count">{fmt_count(rows.length)} loaded{state || name ? ' (filtered)' : ` of ${fmt_count(total)}`}{done ? '' : ' · scroll for more'}</span>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {done && rows.length === 0 ? <p class="muted" data-testid="no-task-runs">No task runs{state ? ` in ${state}` : ''}.</p> : (
        <VirtualList items={rows} row_height={30} height={420} label="Task runs" columns="minmax(120px,1.3fr) minmax(110px,1fr) 150px 110px 90px minmax(120px,2fr)"
          row_key={(t) => t.id} scroll_to={jump} on_near_end={() => void load_more()}
          row_class={(_, i) => (i === sel ? 'sel' : '')}
          header={<><span role="columnheader">Task</span><span role="columnheader">Run</span><span role="columnheader">State</span><span role="columnheader">Start</span><span role="columnheader">Duration</span><span role="columnheader">Message</span></>}
          render={(t, i) => <>
            <span role="cell"><a href={`/task-runs/${t.id}`} onFocus={() => set_sel(i)}>{t.task_name}</a></span>
            <span role="cell" class="muted">{t.run_name}</span>
            <span role="cell"><StateBadge state={t.state} /></span>
            <span role="cell" class="mono">{fmt_clock(t.start_time)}</span>
            <span role="cell">{fmt_duration(span_seconds(t.start_time, t.end_time))}</span>
            <span role="cell" title={t.state_message} class="task-msg">{t.state_message}</span>
          </>} />)}
      {s && (
        <div class="panel" style={{ marginTop: '.5rem' }} data-testid="task-selected">
          <div class="row"><a href={`/task-runs/${s.id}`}><b>{s.run_name || s.task_name}</b></a><StateBadge state={s.state} /></div>
          {s.state_message && <pre>{s.state_message}</pre>}
        </div>)}
    </div>
  );
}
