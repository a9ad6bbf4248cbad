import { useEffect } from 'preact/hooks';
import { list_deployments, list_work_pools, list_workers, read_work_pool } from '../../lib/api';
import { open_stream } from '../../lib/stream';
import { fmt_ago, fmt_time, short_id } from '../../lib/format';
import { use_async, use_now, use_throttle, use_title } from '../../components/hooks';
import { PausedBadge } from './common';
import { describe_schedules } from '../../lib/schedule';
import type { WorkPool, Worker } from '../../lib/types';

// Pools with their concurrency, workers online, and runs scheduled / running.
export function WorkPools() {
  use_title('Work pools');
  const pools = use_async(() => list_work_pools(), []);
  const refresh = use_throttle(() => pools.reload(), 3000);
  useEffect(() => open_stream(null, (e) => { if (e.event === 'flow_run') refresh(); }), []);
  // Worker heartbeats are not on the stream: the counts are read again every 15 s.
  useEffect(() => { const t = setInterval(refresh, 15000); return () => clearInterval(t); }, []);
  const list = pools.data?.work_pools;
  return (
    <div>
      <h1>Work pools</h1>
      {pools.error && <div class="banner" role="alert">{pools.error}</div>}
      <div class="panel">
        {!list ? <p class="muted">Loading…</p> : list.length === 0 ? (
          <p class="muted">No work pools. Create one with <code>baton work-pool create NAME --concurrency N</code>, then start a worker: <code>baton worker start --pool NAME</code>.</p>
        ) : (
          <div class="scroll-x"><table data-testid="work-pools">
            <thead><tr><th>Pool</th><th>Status</th><th>Concurrency</th><th>Workers online</th><th>Runs scheduled</th><th>Runs running</th><th>Description</th></tr></thead>
            <tbody>{list.map((p) => (
              <tr key={p.name} data-pool={p.name}>
                <td><a href={`/work-pools/${encodeURIComponent(p.name)}`}>{p.name}</a></td>
                <td><PausedBadge paused={p.paused} /></td>
                <td>{p.concurrency_limit ? `${p.concurrency_limit} at once` : 'no limit'}</td>
                <td data-testid="workers-online">{p.workers_online ?? 0}</td>
                <td data-testid="runs-scheduled">{p.runs_scheduled ?? 0}</td>
                <td data-testid="runs-running">{p.runs_running ?? 0}</td>
                <td class="msg">{p.description}</td>
              </tr>))}</tbody>
          </table></div>)}
      </div>
      <p><a href="/concurrency-limits">Tag concurrency limits →</a></p>
    </div>
  );
}

// One pool: its numbers, its workers (online or offline, last heartbeat, the
// runs each holds) and the deployments that run on it.
export function WorkPoolPage({ name }: { name: string }) {
  use_title(`Work pool ${name}`);
  const pool = use_async(() => read_work_pool(name), [name]);
  const workers = use_async(() => list_workers(name), [name]);
  const deployments = use_async(() => list_deployments({ work_pool: name, limit: 100 }), [name]);
  const now = use_now(5000);
  const refresh = use_throttle(() => { pool.reload(); workers.reload(); }, 3000);
  useEffect(() => open_stream(null, (e) => { if (e.event === 'flow_run') refresh(); }), [name]);
  useEffect(() => { const t = setInterval(refresh, 10000); return () => clearInterval(t); }, [name]);
  if (pool.error && !pool.data) return <div class="panel"><h1>Work pool {name}</h1><p class="error" role="alert">{pool.error}</p><a href="/work-pools">All work pools</a></div>;
  const p: WorkPool | null = pool.data;
  if (!p) return <p class="muted">Loading work pool…</p>;
  const ws = workers.data?.workers ?? [];
  return (
    <div>
      <header class="panel" data-testid="work-pool-header">
        <div class="muted"><a href="/work-pools">Work pools</a></div>
        <h1>{p.name}</h1>
        <div class="row"><PausedBadge paused={p.paused} />
          <span>{p.concurrency_limit ? `at most ${p.concurrency_limit} runs at once` : 'no concurrency limit'}</span></div>
        {p.description && <p>{p.description}</p>}
        <dl class="kv kv2">
          <dt>Workers online</dt><dd data-testid="workers-online">{p.workers_online ?? 0}</dd>
          <dt>Runs scheduled</dt><dd><a href={`/flow-runs?state=Scheduled`}>{p.runs_scheduled ?? 0}</a></dd>
          <dt>Runs running</dt><dd>{p.runs_running ?? 0}</dd>
          <dt>Created</dt><dd>{fmt_time(p.created)}</dd>
        </dl>
      </header>
      <section class="panel" aria-labelledby="w-h">
        <h2 id="w-h">Workers <span class="muted">(seen in the last hour)</span></h2>
        {workers.error && <p class="error">{workers.error}</p>}
        {!workers.data ? <p class="muted">Loading…</p> : ws.length === 0 ? <p class="muted" data-testid="no-workers">No worker has polled this pool in the last hour. Start one: <code>baton worker start --pool {p.name}</code>.</p> : (
          <div class="scroll-x"><table data-testid="workers">
            <thead><tr><th>Worker</th><th>Status</th><th>Host</th><th>Last heartbeat</th><th>Limit</th><th>Runs held</th></tr></thead>
            <tbody>{ws.map((w) => <WorkerRow key={w.id} w={w} now={now} />)}</tbody>
          </table></div>)}
      </section>
      <section class="panel" aria-labelledby="d-h">
        <h2 id="d-h">Deployments on this pool</h2>
        {deployments.data && (deployments.data.deployments.length === 0 ? <p class="muted">None.</p> : (
          <ul>{deployments.data.deployments.map((d) => <li key={d.name}><a href={`/deployments/${encodeURIComponent(d.name)}`}>{d.name}</a> <span class="muted">— {d.flow_name}, {describe_schedules(d.schedules)}{d.paused ? ', paused' : ''}</span></li>)}</ul>))}
      </section>
    </div>
  );
}

function WorkerRow({ w, now }: { w: Worker; now: number }) {
  const online = w.status === 'online';
  return (
    <tr data-worker={w.id}>
      <td>{w.name || short_id(w.id)}</td>
      <td><span class={`badge ${online ? 'ok' : 'cancelled'}`} data-status={w.status}><span aria-hidden="true">{online ? '●' : '○'}</span>{online ? 'online' : 'offline'}</span></td>
      <td>{w.hostname ?? '—'}{w.pid !== undefined && <span class="muted"> · pid {w.pid}</span>}</td>
      <td title={fmt_time(w.last_heartbeat)}>{fmt_ago(w.last_heartbeat, now)}</td>
      <td>{w.limit ?? '—'}</td>
      <td>{w.runs?.length ? w.runs.map((r) => <a key={r} href={`/flow-runs/${r}`} class="mono" style={{ marginRight: '.4rem' }}>{short_id(r)}</a>) : <span class="muted">none</span>}</td>
    </tr>
  );
}
