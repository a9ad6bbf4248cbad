import { list_flow_runs, list_task_runs, read_flow_run, read_graph } from '../lib/api';
import { set_query } from '../lib/router';
import { pair_task_runs, param_rows } from '../lib/compare';
import { counts_text } from '../lib/states';
import { fmt_count, fmt_duration, fmt_time, short_id, span_seconds } from '../lib/format';
import { StateBadge } from '../components/StateBadge';
import { use_async, use_title } from '../components/hooks';
import type { FlowRunDetail, TaskRun } from '../lib/types';

// Two runs of one flow side by side: parameters, per-task-name counts and
// spans (any size), and per task run (up to PAIR_LIMIT runs each): states,
// durations, and what was Cached in one and computed in the other.
const PAIR_LIMIT = 5000;

async function all_task_runs(id: string, total: number): Promise<TaskRun[] | null> {
  if (total > PAIR_LIMIT) return null;
  const out: TaskRun[] = [];
  let cursor: string | null = null;
  do {
    const p = await list_task_runs(id, { limit: 1000, cursor: cursor ?? undefined });
    out.push(...p.task_runs); cursor = p.next_cursor;
  } while (cursor && out.length < PAIR_LIMIT);
  return out;
}

export function Compare({ query }: { query: URLSearchParams }) {
  use_title('Compare runs');
  const a = query.get('a') ?? '', b = query.get('b') ?? '';
  const ra = use_async(async () => (a ? read_flow_run(a) : null), [a]);
  const rb = use_async(async () => (b ? read_flow_run(b) : null), [b]);
  const peers = use_async(async () => (ra.data ? list_flow_runs({ flow: ra.data.flow_name, limit: 100 }) : null), [ra.data?.id]);
  const data = use_async(async () => {
    if (!ra.data || !rb.data) return null;
    const [ga, gb, ta, tb] = await Promise.all([read_graph(ra.data.id, { limit: 0 }), read_graph(rb.data.id, { limit: 0 }),
      all_task_runs(ra.data.id, ra.data.task_run_count ?? 0), all_task_runs(rb.data.id, rb.data.task_run_count ?? 0)]);
    return { ga, gb, pairs: ta && tb ? pair_task_runs(ta, tb) : null };
  }, [ra.data?.id, rb.data?.id]);

  const pick = (which: 'a' | 'b', v: string) => set_query({ [which]: v || null }, false);
  return (
    <div>
      <h1>Compare two runs</h1>
      <form class="filters panel" onSubmit={(e) => e.preventDefault()}>
        <label>Run A (id)<input value={a} onChange={(e) => pick('a', (e.target as HTMLInputElement).value.trim())} placeholder="flow run id" /></label>
        <label>Run B
          {peers.data ? (
            <select value={b} onChange={(e) => pick('b', (e.target as HTMLSelectElement).value)} aria-label="Run B">
              <option value="">choose a run of {ra.data?.flow_name}</option>
              {peers.data.flow_runs.filter((f) => f.id !== ra.data?.id).map((f) => <option key={f.id} value={f.id}>{f.run_name || short_id(f.id)} · {f.state} · {fmt_time(f.created)}</option>)}
            </select>) : <input value={b} onChange={(e) => pick('b', (e.target as HTMLInputElement).value.trim())} placeholder="flow run id" />}
        </label>
      </form>
      {(ra.error || rb.error) && <div class="banner" role="alert">{ra.error ?? rb.error}</div>}
      {!a && <p class="muted">Choose run A (or press "compare" in the flow-run list), then a run of the same flow as B.</p>}
      {ra.data && rb.data && <Side a={ra.data} b={rb.data} />}
      {data.data && (
        <section class="panel"><h2>By task name</h2>
          <div class="scroll-x"><table><thead><tr><th>Task</th><th>A: runs by state</th><th>A: span</th><th>B: runs by state</th><th>B: span</th></tr></thead>
            <tbody>{[...new Set([...data.data.ga.groups.map((g) => g.task_name), ...data.data.gb.groups.map((g) => g.task_name)])].map((name) => {
              const x = data.data!.ga.groups.find((g) => g.task_name === name), y = data.data!.gb.groups.find((g) => g.task_name === name);
              const differs = counts_text(x?.counts_by_state) !== counts_text(y?.counts_by_state);
              return (<tr key={name} class={differs ? 'diff' : ''}><td>{name}</td><td>{counts_text(x?.counts_by_state) || '—'}</td><td>{fmt_duration(span_seconds(x?.start_time, x?.end_time))}</td>
                <td>{counts_text(y?.counts_by_state) || '—'}</td><td>{fmt_duration(span_seconds(y?.start_time, y?.end_time))}</td></tr>);
            })}</tbody></table></div>
        </section>)}
      {data.data && (data.data.pairs ? (
        <section class="panel"><h2>Task runs ({fmt_count(data.data.pairs.length)})</h2>
          <p class="muted">{fmt_count(data.data.pairs.filter((p) => p.note.includes('cached')).length)} cached in one run and computed in the other; {fmt_count(data.data.pairs.filter((p) => p.note).length)} differ.</p>
          <div class="scroll-x" style={{ maxHeight: 520, overflow: 'auto' }}><table data-testid="compare-pairs"><thead><tr><th>Task run</th><th>A</th><th>A duration</th><th>B</th><th>B duration</th><th>Difference</th></tr></thead>
            <tbody>{data.data.pairs.slice(0, 2000).map((p) => (
              <tr key={p.key} class={p.note ? 'diff' : ''}><td>{p.key}</td>
                <td>{p.a ? <a href={`/task-runs/${p.a.id}`}><StateBadge state={p.a.state} /></a> : '—'}</td><td>{fmt_duration(span_seconds(p.a?.start_time, p.a?.end_time))}</td>
                <td>{p.b ? <a href={`/task-runs/${p.b.id}`}><StateBadge state={p.b.state} /></a> : '—'}</td><td>{fmt_duration(span_seconds(p.b?.start_time, p.b?.end_time))}</td>
                <td>{p.note}</td></tr>))}</tbody></table></div>
        </section>) : <p class="panel muted">One of the runs has more than {fmt_count(PAIR_LIMIT)} task runs: compared by task name above.</p>)}
    </div>
  );
}

function Side({ a, b }: { a: FlowRunDetail; b: FlowRunDetail }) {
  const params = param_rows(a.parameters as Record<string, unknown>, b.parameters as Record<string, unknown>);
  const col = (r: FlowRunDetail) => (
    <div><a href={`/flow-runs/${r.id}`}><b>{r.flow_name} / {r.run_name || short_id(r.id)}</b></a>
      <div class="row"><StateBadge state={r.state} /><span>{fmt_duration(r.duration_seconds)}</span><span>{fmt_count(r.task_run_count ?? 0)} task runs</span></div>
      <div class="muted">{fmt_time(r.created)}</div></div>);
  return (
    <section class="panel">
      <div class="grid" style={{ gridTemplateColumns: '1fr 1fr' }}>{col(a)}{col(b)}</div>
      {a.flow_name !== b.flow_name && <p class="error">These runs are of different flows.</p>}
      <h2>Parameters</h2>
      {params.length === 0 ? <p class="muted">Neither run has parameters.</p> : (
        <div class="scroll-x"><table><thead><tr><th>Name</th><th>A</th><th>B</th></tr></thead>
          <tbody>{params.map((p) => <tr key={p.key} class={p.differs ? 'diff' : ''}><td>{p.key}</td><td class="mono msg">{p.a ?? '—'}</td><td class="mono msg">{p.b ?? '—'}</td></tr>)}</tbody></table></div>)}
    </section>
  );
}
