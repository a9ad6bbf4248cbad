import { useState } from 'preact/hooks';
import { read_flow_run, read_task_run, task_run_logs } from '../lib/api';
import { fmt_bytes, fmt_clock, fmt_duration, fmt_time, short_id, span_seconds } from '../lib/format';
import { StateBadge } from '../components/StateBadge';
import { Json, Tags } from '../components/Json';
import { use_async, use_title } from '../components/hooks';
import { History } from './FlowRun';

export function TaskRunPage({ id }: { id: string }) {
  const t = use_async(() => read_task_run(id), [id]);
  const flow = use_async(async () => (t.data?.flow_run ? read_flow_run(t.data.flow_run) : null), [t.data?.flow_run]);
  const [cursor, set_cursor] = useState<string | null>(null);
  const logs = use_async(() => task_run_logs(id, { limit: 500, cursor: cursor ?? undefined }), [id, cursor]);
  use_title(t.data ? `${t.data.run_name || t.data.task_name}` : 'Task run');
  if (t.error && !t.data) return <div class="panel"><h1>Task run</h1><p class="error" role="alert">{t.error}</p></div>;
  const r = t.data;
  if (!r) return <p class="muted">Loading task run…</p>;
  const res = r.result;
  return (
    <div>
      <header class="panel">
        <div class="muted">{r.flow_run ? <><a href={`/flow-runs/${r.flow_run}`}>{flow.data ? `${flow.data.flow_name} / ${flow.data.run_name || short_id(flow.data.id)}` : short_id(r.flow_run)}</a> · </> : null}task <b>{r.task_name}</b></div>
        <h1>{r.run_name || short_id(r.id)}</h1>
        <div class="row"><StateBadge state={r.state} /><span>{fmt_duration(span_seconds(r.start_time, r.end_time))}</span></div>
        {r.state_message && <pre data-testid="task-message" style={{ marginTop: '.5rem' }}>{r.state_message}</pre>}
        <dl class="kv" style={{ marginTop: '.5rem' }}>
          <dt>Started</dt><dd>{fmt_time(r.start_time)}{r.end_time && <> · ended {fmt_time(r.end_time)}</>}</dd>
          <dt>Tags</dt><dd><Tags tags={r.tags} /></dd>
          <dt>Id</dt><dd class="mono">{r.id}</dd>
        </dl>
      </header>
      <div class="grid" style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(300px, 1fr))' }}>
        <section class="panel"><h2>Parameters</h2><Json value={r.parameters} /></section>
        <section class="panel"><h2>Result</h2>
          {res ? <dl class="kv" data-testid="result">
            <dt>Location</dt><dd class="mono">{res.location ?? '—'}</dd>
            <dt>Size</dt><dd>{fmt_bytes(res.size)}</dd>
            <dt>Serializer</dt><dd>{res.serializer ?? '—'}</dd>
            <dt>Cache key</dt><dd class="mono">{res.cache_key ? <a href={`/results?cache_key=${encodeURIComponent(res.cache_key)}`}>{res.cache_key}</a> : '—'}</dd>
            <dt>Produced by</dt><dd>{res.produced_by ? <a href={`/task-runs/${res.produced_by}`}>{short_id(res.produced_by)}</a> : '—'}{res.from_cache ? ' (read from the cache)' : ''}</dd>
          </dl> : <p class="muted">No result record (the task's result was not persisted or cached).</p>}
        </section>
      </div>
      <div class="grid" style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(300px, 1fr))' }}>
        <section class="panel"><h2>Upstream ({r.upstream?.length ?? 0})</h2><RunLinks ids={r.upstream} /></section>
        <section class="panel"><h2>Downstream ({r.downstream?.length ?? 0})</h2><RunLinks ids={r.downstream} /></section>
      </div>
      <section class="panel"><h2>States</h2><History history={r.history} /></section>
      <section class="panel"><h2>Logs</h2>
        {logs.error && <p class="error">{logs.error}</p>}
        {logs.data && (logs.data.logs.length === 0 ? <p class="muted">No log lines.</p> : (
          <div class="scroll-x"><table class="logs"><tbody>{logs.data.logs.map((l, i) => (
            <tr key={i} class="logline"><td class="muted">{fmt_clock(l.time)}</td><td class={`lv-${l.level}`}>{l.level}</td><td class={`lv-${l.level} msg`}>{l.message}</td></tr>))}</tbody></table></div>))}
        {logs.data?.next_cursor && <button type="button" onClick={() => set_cursor(logs.data!.next_cursor)}>Next page →</button>}
      </section>
    </div>
  );
}

// Neighbours by name and state: the first NAMED are read (one request each),
// the rest are listed by id (a fan-in of 10,000 must not cost 10,000 requests).
const NAMED = 20;
function RunLinks({ ids }: { ids?: string[] }) {
  const named = use_async(async () => Promise.all((ids ?? []).slice(0, NAMED).map((u) => read_task_run(u).catch(() => null))), [ids?.join(',')]);
  if (!ids?.length) return <p class="muted">none</p>;
  const shown = ids.slice(0, 200);
  return (
    <ul>{shown.map((u, i) => {
      const t = named.data?.[i];
      return <li key={u}><a href={`/task-runs/${u}`}>{t ? (t.run_name || t.task_name) : <span class="mono">{short_id(u)}</span>}</a>{t && <> <StateBadge state={t.state} /></>}</li>;
    })}{ids.length > shown.length && <li class="muted">and {ids.length - shown.length} more</li>}</ul>);
}
