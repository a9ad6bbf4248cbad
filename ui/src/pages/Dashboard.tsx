import { useEffect, useState } from 'preact/hooks';
import { get_stats, list_flow_runs } from '../lib/api';
import { open_stream } from '../lib/stream';
import { fmt_ago, fmt_duration, short_id, span_seconds } from '../lib/format';
import { StateChart } from '../canvas/StateChart';
import { StateBadge } from '../components/StateBadge';
import { use_async, use_throttle, use_title } from '../components/hooks';
import type { FlowRun } from '../lib/types';

const RANGES: { label: string; hours: number; bucket: number }[] = [
  { label: 'Last hour', hours: 1, bucket: 60 },
  { label: 'Last 24 hours', hours: 24, bucket: 3600 },
  { label: 'Last 7 days', hours: 168, bucket: 6 * 3600 },
  { label: 'Last 30 days', hours: 720, bucket: 86400 },
];
// A Running run whose engine has not sent a heartbeat for this long is stuck.
const STUCK_MS = 5 * 60 * 1000;

export function Dashboard() {
  use_title('Dashboard');
  const [range, set_range] = useState(1);
  const r = RANGES[range];
  const stats = use_async(() => {
    const since = new Date(Math.floor((Date.now() - r.hours * 3600e3) / (r.bucket * 1000)) * r.bucket * 1000).toISOString();
    return get_stats({ since, bucket_seconds: r.bucket });
  }, [range]);
  const failures = use_async(() => list_flow_runs({ state: 'Failed,Crashed,TimedOut', limit: 10 }), []);
  const attention = use_async(async () => {
    const [waiting, running] = await Promise.all([
      list_flow_runs({ state: 'Scheduled,Pending', limit: 200 }),
      list_flow_runs({ state: 'Running', limit: 200 }),
    ]);
    const now = Date.now();
    // Late: the server says so, or waiting to start for longer than STUCK_MS
    // past its expected start (a deployment's runs are created ahead of their
    // time: waiting for it is not being late). Stuck: running with a silent engine.
    const late = waiting.flow_runs.filter((f) => f.state === 'Late' || now - Date.parse(f.expected_start_time ?? f.state_time ?? f.created) > STUCK_MS);
    const stuck = running.flow_runs.filter((f) => f.heartbeat && now - Date.parse(f.heartbeat) > STUCK_MS);
    return { late, stuck };
  }, []);
  const refresh = use_throttle(() => { stats.reload(); failures.reload(); attention.reload(); }, 2000);
  useEffect(() => open_stream(null, (e) => { if (e.event === 'flow_run') refresh(); }), []);

  const s = stats.data;
  return (
    <div>
      <div class="row spread"><h1>Dashboard</h1>
        <label class="row">Range <select value={range} onChange={(e) => set_range(Number((e.target as HTMLSelectElement).value))}>
          {RANGES.map((x, i) => <option key={i} value={i}>{x.label}</option>)}</select></label>
      </div>
      {stats.error && <div class="banner" role="alert">{stats.error}</div>}
      <div class="grid">
        <a class="stat" href="/flow-runs?state=Running"><span class="n" data-testid="count-running">{s ? s.running : '…'}</span><span class="l">running now</span></a>
        <a class="stat" href="/flow-runs?state=Failed,TimedOut"><span class="n" data-testid="count-failed" style={{ color: 'var(--st-failed)' }}>{s ? s.failed : '…'}</span><span class="l">failed ({r.label.toLowerCase()})</span></a>
        <a class="stat" href="/flow-runs?state=Crashed"><span class="n" data-testid="count-crashed" style={{ color: 'var(--st-crashed)' }}>{s ? s.crashed : '…'}</span><span class="l">crashed ({r.label.toLowerCase()})</span></a>
        <div class="stat"><span class="n">{s ? s.buckets.reduce((a, b) => a + Object.values(b.counts).reduce((x, y) => x + y, 0), 0) : '…'}</span><span class="l">flow runs ({r.label.toLowerCase()})</span></div>
      </div>
      <section class="panel" aria-labelledby="chart-h">
        <h2 id="chart-h">Flow runs over time, by state</h2>
        {s ? <StateChart buckets={s.buckets} bucket_seconds={r.bucket} /> : <p class="muted">Loading…</p>}
      </section>
      <section class="panel" aria-labelledby="fail-h">
        <h2 id="fail-h">Latest failures</h2>
        {failures.error && <p class="error">{failures.error}</p>}
        <RunTable runs={failures.data?.flow_runs ?? null} empty="No failed runs." message />
      </section>
      <section class="panel" aria-labelledby="late-h">
        <h2 id="late-h">Late or stuck</h2>
        <RunTable runs={attention.data ? [...attention.data.late, ...attention.data.stuck] : null}
          empty="No run has waited more than 5 minutes to start, and every running run has a recent heartbeat." heartbeat />
      </section>
    </div>
  );
}

export function RunTable({ runs, empty, message, heartbeat }: { runs: FlowRun[] | null; empty: string; message?: boolean; heartbeat?: boolean }) {
  if (!runs) return <p class="muted">Loading…</p>;
  if (!runs.length) return <p class="muted">{empty}</p>;
  return (
    <div class="scroll-x"><table>
      <thead><tr><th>Run</th><th>Flow</th><th>State</th><th>When</th><th>Duration</th>{message && <th>Message</th>}{heartbeat && <th>Heartbeat</th>}</tr></thead>
      <tbody>{runs.map((f) => (
        <tr key={f.id}>
          <td><a href={`/flow-runs/${f.id}`}>{f.run_name || short_id(f.id)}</a></td>
          <td>{f.flow_name}</td>
          <td><StateBadge state={f.state} cancel_requested={!!f.cancel_requested} /></td>
          <td title={f.state_time ?? f.created}>{fmt_ago(f.state_time ?? f.created)}</td>
          <td>{fmt_duration(f.duration_seconds ?? span_seconds(f.start_time, f.end_time))}</td>
          {message && <td class="msg">{f.state_message}</td>}
          {heartbeat && <td>{fmt_ago(f.heartbeat)}</td>}
        </tr>))}</tbody>
    </table></div>
  );
}
