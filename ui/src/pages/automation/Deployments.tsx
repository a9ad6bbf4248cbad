import { useEffect, useState } from 'preact/hooks';
import { list_deployments, list_flow_runs } from '../../lib/api';
import { describe_schedules } from '../../lib/schedule';
import { open_stream } from '../../lib/stream';
import { use_async, use_throttle, use_title } from '../../components/hooks';
import { LastRun, PausedBadge, UPCOMING, times } from './common';
import type { Deployment, FlowRun } from '../../lib/types';

// Deployments by name: flow, pool, schedules in words, paused, next runs and
// the state of the last run that started.
export function Deployments({ query }: { query: URLSearchParams }) {
  use_title('Deployments');
  const pool = query.get('work_pool') ?? '';
  const [cursor, set_cursor] = useState<string | null>(null);
  const page = use_async(() => list_deployments({ work_pool: pool || undefined, limit: 100, cursor: cursor ?? undefined }), [pool, cursor]);
  const last = use_async(() => last_runs(page.data?.deployments ?? []), [page.data]);
  const refresh = use_throttle(() => { page.reload(); }, 3000);
  useEffect(() => open_stream(null, (e) => { if (e.event === 'flow_run') refresh(); }), []);
  const list = page.data?.deployments;
  return (
    <div>
      <h1>Deployments{pool && <span class="muted"> in pool {pool}</span>}</h1>
      {page.error && <div class="banner" role="alert">{page.error}</div>}
      <div class="panel">
        {!list ? <p class="muted">Loading…</p> : list.length === 0 ? (
          <p class="muted" data-testid="no-deployments">No deployments{pool ? ` in ${pool}` : ''}. Create one with <code>baton deploy NAME --program PATH --flow FLOW --pool POOL --cron "0 3 * * *"</code>.</p>
        ) : (
          <div class="scroll-x"><table data-testid="deployments">
            <thead><tr><th>Name</th><th>Flow</th><th>Pool</th><th>Schedules</th><th>Status</th><th>Next runs</th><th>Last run</th></tr></thead>
            <tbody>{list.map((d) => (
              <tr key={d.name} data-deployment={d.name}>
                <td class="nowrap"><a href={`/deployments/${encodeURIComponent(d.name)}`}>{d.name}</a></td>
                <td class="nowrap"><a href={`/flow-runs?flow=${encodeURIComponent(d.flow_name)}`}>{d.flow_name}</a></td>
                <td class="nowrap"><a href={`/work-pools/${encodeURIComponent(d.work_pool)}`}>{d.work_pool}</a></td>
                <td data-testid="schedules">{describe_schedules(d.schedules)}</td>
                <td><PausedBadge paused={d.paused} /></td>
                <td class="mono">{d.paused ? '—' : times(d.next_runs, 2)}</td>
                <td><LastRun r={last.data?.get(d.name)} /></td>
              </tr>))}</tbody>
          </table></div>)}
        <div class="row" style={{ marginTop: '.5rem' }}>
          {cursor && <button type="button" onClick={() => set_cursor(null)}>First page</button>}
          {page.data?.next_cursor && <button type="button" onClick={() => set_cursor(page.data!.next_cursor)}>Next page →</button>}
        </div>
      </div>
    </div>
  );
}

// The newest started run of each deployment: one read per flow (deployments
// of one flow share it), newest first.
async function last_runs(ds: Deployment[]): Promise<Map<string, FlowRun>> {
  const out = new Map<string, FlowRun>();
  const flows = [...new Set(ds.map((d) => d.flow_name))].slice(0, 50);
  const pages = await Promise.all(flows.map((f) => list_flow_runs({ flow: f, limit: 200 }).catch(() => null)));
  for (const p of pages) {
    for (const r of p?.flow_runs ?? []) {
      if (!r.deployment || UPCOMING.has(r.state) || out.has(r.deployment)) continue;
      out.set(r.deployment, r);
    }
  }
  return out;
}
