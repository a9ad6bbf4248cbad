import { useEffect, useState } from 'preact/hooks';
import { list_flow_runs } from '../lib/api';
import { navigate, set_query } from '../lib/router';
import { open_stream } from '../lib/stream';
import { FILTER_STATES } from '../lib/states';
import { fmt_count, fmt_duration, fmt_time, local_to_rfc3339, rfc3339_to_local, short_id, span_seconds } from '../lib/format';
import { StateBadge } from '../components/StateBadge';
import { Tags } from '../components/Json';
import { use_async, use_throttle, use_title } from '../components/hooks';
import { mark_after_paint } from '../lib/marks';
import type { FlowRun } from '../lib/types';

// Every filter is in the URL (shareable); the server filters and pages, the
// table sorts the page it shows.
const FILTERS = ['flow', 'state', 'tag', 'since', 'until', 'name'] as const;
type SortKey = 'created' | 'flow_name' | 'state' | 'duration' | 'tasks';

export function FlowRuns({ query }: { query: URLSearchParams }) {
  use_title('Flow runs');
  const f = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const cursor = query.get('cursor') ?? '';
  const limit = Number(query.get('limit') ?? 100) || 100;
  const sort = (query.get('sort') ?? 'created') as SortKey;
  const desc = query.get('dir') !== 'asc';
  const key = query.toString();
  const page = use_async(() => list_flow_runs({ ...f, tag: f.tag ? f.tag.split(',').map((t) => t.trim()) : undefined, cursor: cursor || undefined, limit }), [key.replace(/&?(sort|dir)=[^&]*/g, '')]);
  const refresh = use_throttle(() => { if (!cursor) page.reload(); }, 2000);
  useEffect(() => open_stream(null, (e) => { if (e.event === 'flow_run') refresh(); }), [cursor]);
  useEffect(() => { if (page.data) mark_after_paint('baton:flow-runs-painted'); }, [page.data]);

  const [draft, set_draft] = useState(f);
  useEffect(() => set_draft(f), [key]);
  const apply = (e: Event) => { e.preventDefault(); set_query({ ...draft, cursor: null }, false); };
  const sort_by = (k: SortKey) => set_query({ sort: k, dir: sort === k && desc ? 'asc' : 'desc' });

  const runs = page.data ? sorted(page.data.flow_runs, sort, desc) : null;
  const th = (k: SortKey, label: string) => (
    <th aria-sort={sort === k ? (desc ? 'descending' : 'ascending') : 'none'}>
      <button type="button" onClick={() => sort_by(k)}>{label}{sort === k ? (desc ? ' ▼' : ' ▲') : ''}</button></th>);
  return (
    <div>
      <h1>Flow runs</h1>
      <form class="filters panel" onSubmit={apply} aria-label="Filters">
        <label>Flow<input value={draft.flow} onInput={(e) => set_draft({ ...draft, flow: (e.target as HTMLInputElement).value })} placeholder="exact name" /></label>
        <label>Name contains<input value={draft.name} onInput={(e) => set_draft({ ...draft, name: (e.target as HTMLInputElement).value })} /></label>
        <label>State<select value={draft.state} onChange={(e) => set_draft({ ...draft, state: (e.target as HTMLSelectElement).value })}>
          <option value="">any</option>
          <option value="Failed,Crashed,TimedOut">failed, crashed or timed out</option>
          <option value="Running,Pending,Scheduled,Retrying,AwaitingRetry">not finished</option>
          {FILTER_STATES.map((s) => <option key={s} value={s}>{s}</option>)}
          {draft.state && !FILTER_STATES.includes(draft.state as never) && !draft.state.includes('Crashed,TimedOut') && !draft.state.startsWith('Running,') && <option value={draft.state}>{draft.state}</option>}
        </select></label>
        <label>Tags (all of)<input value={draft.tag} onInput={(e) => set_draft({ ...draft, tag: (e.target as HTMLInputElement).value })} placeholder="a, b" /></label>
        <label>Created from<input type="datetime-local" value={rfc3339_to_local(draft.since)} onInput={(e) => set_draft({ ...draft, since: local_to_rfc3339((e.target as HTMLInputElement).value) })} /></label>
        <label>until<input type="datetime-local" value={rfc3339_to_local(draft.until)} onInput={(e) => set_draft({ ...draft, until: local_to_rfc3339((e.target as HTMLInputElement).value) })} /></label>
        <button class="primary" type="submit">Filter</button>
        <button type="button" onClick={() => navigate('/flow-runs')}>Clear</button>
      </form>
      {page.error && <div class="banner" role="alert">{page.error}</div>}
      <div class="panel">
        {!runs ? <p class="muted">Loading…</p> : runs.length === 0 ? <p class="muted" data-testid="no-runs">No flow runs match.</p> : (
          <div class="scroll-x"><table data-testid="flow-runs">
            <thead><tr><th>Run</th>{th('flow_name', 'Flow')}{th('state', 'State')}{th('created', 'Created')}{th('duration', 'Duration')}{th('tasks', 'Tasks')}<th>Tags</th><th><span class="sr">Compare</span></th></tr></thead>
            <tbody>{runs.map((r) => (
              <tr key={r.id} data-run={r.id}>
                <td><a href={`/flow-runs/${r.id}`}>{r.run_name || short_id(r.id)}</a></td>
                <td><a href={`/flow-runs?flow=${encodeURIComponent(r.flow_name)}`}>{r.flow_name}</a></td>
                <td><StateBadge state={r.state} cancel_requested={!!r.cancel_requested} /></td>
                <td>{fmt_time(r.created)}</td>
                <td>{fmt_duration(r.duration_seconds ?? span_seconds(r.start_time, r.end_time))}</td>
                <td>{r.task_run_count !== undefined ? fmt_count(r.task_run_count) : '—'}</td>
                <td><Tags tags={r.tags} /></td>
                <td><a href={`/compare?a=${r.id}`} aria-label={`Compare ${r.run_name || short_id(r.id)} with another run`}>compare</a></td>
              </tr>))}</tbody>
          </table></div>)}
        <div class="row" style={{ marginTop: '.75rem' }}>
          {cursor && <button type="button" onClick={() => history.back()}>← Previous</button>}
          {cursor && <button type="button" onClick={() => set_query({ cursor: null }, false)}>First page</button>}
          {page.data?.next_cursor && <button type="button" onClick={() => set_query({ cursor: page.data!.next_cursor }, false)}>Next page →</button>}
          <label class="row muted">Per page <select value={limit} onChange={(e) => set_query({ limit: (e.target as HTMLSelectElement).value, cursor: null })}>
            {[50, 100, 250, 1000].map((n) => <option key={n} value={n}>{n}</option>)}</select></label>
        </div>
      </div>
    </div>
  );
}

function sorted(runs: FlowRun[], k: SortKey, desc: boolean): FlowRun[] {
  const v = (r: FlowRun): string | number => k === 'created' ? r.created : k === 'flow_name' ? r.flow_name : k === 'state' ? r.state
    : k === 'duration' ? (r.duration_seconds ?? -1) : (r.task_run_count ?? -1);
  const out = [...runs].sort((a, b) => { const x = v(a), y = v(b); return x < y ? -1 : x > y ? 1 : 0; });
  return desc ? out.reverse() : out;
}
