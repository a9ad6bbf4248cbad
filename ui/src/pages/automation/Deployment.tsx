import { useEffect, useState } from 'preact/hooks';
import { list_deployment_runs, pause_deployment, read_deployment, resume_deployment } from '../../lib/api';
import { describe_schedule } from '../../lib/schedule';
import { open_stream } from '../../lib/stream';
import { fmt_duration, fmt_time, span_seconds } from '../../lib/format';
import { StateBadge } from '../../components/StateBadge';
import { Json, Tags } from '../../components/Json';
import { use_async, use_throttle, use_title } from '../../components/hooks';
import { PausedBadge, RunLink, UPCOMING, err_text } from './common';
import { RunForm } from './RunForm';
import type { Deployment, FlowRun } from '../../lib/types';

export function DeploymentPage({ name }: { name: string }) {
  use_title(`Deployment ${name}`);
  const [d, set_d] = useState<Deployment | null>(null);
  const [error, set_error] = useState<string | null>(null);
  const [action_error, set_action_error] = useState<string | null>(null);
  const [busy, set_busy] = useState(false);
  const load = async () => { try { set_d(await read_deployment(name)); set_error(null); } catch (e) { set_error(err_text(e)); } };
  useEffect(() => { void load(); }, [name]);
  const runs = use_async(async () => d ? list_deployment_runs(d) : null, [d?.name, d?.updated, d?.paused]);
  const refresh = use_throttle(() => { runs.reload(); void load(); }, 2000);
  useEffect(() => open_stream(null, (e) => { if (e.event === 'flow_run') refresh(); }), [name]);

  if (error && !d) return <div class="panel"><h1>Deployment {name}</h1><p class="error" role="alert">{error}</p><a href="/deployments">All deployments</a></div>;
  if (!d) return <p class="muted">Loading deployment…</p>;

  const toggle = async () => {
    set_busy(true); set_action_error(null);
    try { set_d(await (d.paused ? resume_deployment(d.name) : pause_deployment(d.name))); runs.reload(); }
    catch (e) { set_action_error(err_text(e)); } finally { set_busy(false); }
  };
  const all = runs.data ?? [];
  const upcoming = all.filter((r) => UPCOMING.has(r.state))
    .sort((a, b) => (a.expected_start_time ?? a.created).localeCompare(b.expected_start_time ?? b.created));
  const recent = all.filter((r) => !UPCOMING.has(r.state)).slice(0, 50);
  return (
    <div>
      <header class="panel" data-testid="deployment-header">
        <div class="row spread">
          <div>
            <div class="muted"><a href="/deployments">Deployments</a> · flow <a href={`/flow-runs?flow=${encodeURIComponent(d.flow_name)}`}>{d.flow_name}</a></div>
            <h1>{d.name}</h1>
            <div class="row"><PausedBadge paused={d.paused} />
              <span>pool <a href={`/work-pools/${encodeURIComponent(d.work_pool)}`}>{d.work_pool}</a></span></div>
          </div>
          <button type="button" onClick={() => void toggle()} disabled={busy} data-testid="pause-toggle">{d.paused ? 'Resume' : 'Pause'}</button>
        </div>
        {d.description && <p>{d.description}</p>}
        {action_error && <p class="error" role="alert">{action_error}</p>}
        <dl class="kv kv2">
          <dt>Command</dt><dd class="mono">{(d.command ?? []).join(' ')}</dd>
          <dt>Tags</dt><dd><Tags tags={d.tags} /></dd>
          <dt>Retries</dt><dd>{d.retries ?? 0}{d.retries ? <> · {d.retry_delay_seconds ?? 0} s apart</> : null}</dd>
          <dt>Concurrency</dt><dd>{d.concurrency_limit ? `at most ${d.concurrency_limit} runs at once` : 'no limit'}</dd>
          <dt>Updated</dt><dd>{fmt_time(d.updated)}</dd>
          <dt>Next runs</dt><dd class="mono" data-testid="next-runs">{d.paused ? 'none while paused' : d.next_runs?.length ? d.next_runs.slice(0, 5).map(fmt_time).join(', ') : '—'}</dd>
        </dl>
      </header>
      <section class="panel" aria-labelledby="sch-h">
        <h2 id="sch-h">Schedules</h2>
        {!d.schedules?.length ? <p class="muted">No schedule: runs start when asked ("Run" below, or <code>baton deployment run {d.name}</code>).</p> : (
          <table data-testid="schedule-table"><thead><tr><th>Schedule</th><th>Active</th><th>Anchor</th></tr></thead>
            <tbody>{d.schedules.map((s, i) => (
              <tr key={s.id ?? i}><td>{describe_schedule(s)}</td>
                <td>{s.active === false ? <span class="badge cancelled">paused</span> : <span class="badge ok">active</span>}</td>
                <td class="mono">{s.kind === 'interval' ? fmt_time(s.anchor ?? '2026-01-01T00:00:00Z') : '—'}</td></tr>))}</tbody></table>)}
      </section>
      <section class="panel" aria-labelledby="run-h">
        <h2 id="run-h">Run now</h2>
        <RunForm d={d} on_created={() => runs.reload()} />
      </section>
      <div class="grid2">
        <section class="panel" aria-labelledby="par-h">
          <h2 id="par-h">Default parameters</h2>
          <Json value={d.parameters} />
        </section>
        <section class="panel" aria-labelledby="spec-h">
          <h2 id="spec-h">Parameters the flow declares</h2>
          {!d.parameter_specs?.length ? <p class="muted">none declared</p> : (
            <table><thead><tr><th>Name</th><th>Type</th><th>Required</th><th>Default</th></tr></thead>
              <tbody>{d.parameter_specs.map((p) => <tr key={p.name}><td class="mono">{p.name}</td><td class="mono">{p.type}</td><td>{p.required ? 'yes' : 'no'}</td><td class="mono">{p.default ?? '—'}</td></tr>)}</tbody></table>)}
        </section>
      </div>
      <section class="panel" aria-labelledby="up-h">
        <h2 id="up-h">Upcoming runs</h2>
        {runs.error && <p class="error">{runs.error}</p>}
        <RunTable runs={upcoming} testid="upcoming-runs" empty={d.paused ? 'None: the deployment is paused.' : 'None scheduled.'} upcoming />
      </section>
      <section class="panel" aria-labelledby="rec-h">
        <h2 id="rec-h">Recent runs</h2>
        <RunTable runs={recent} testid="recent-runs" empty="No run has started yet." />
        <a href={`/flow-runs?flow=${encodeURIComponent(d.flow_name)}`}>All runs of {d.flow_name} →</a>
      </section>
    </div>
  );
}

function RunTable({ runs, testid, empty, upcoming }: { runs: FlowRun[]; testid: string; empty: string; upcoming?: boolean }) {
  if (!runs.length) return <p class="muted" data-testid={`${testid}-empty`}>{empty}</p>;
  return (
    <div class="scroll-x"><table data-testid={testid}>
      <thead><tr><th>Run</th><th>State</th><th>Expected start</th>{!upcoming && <><th>Started</th><th>Duration</th><th>Runs</th></>}<th>Parameters</th></tr></thead>
      <tbody>{runs.map((r) => (
        <tr key={r.id}><td><RunLink r={r} /></td><td><StateBadge state={r.state} /></td><td class="mono">{fmt_time(r.expected_start_time)}</td>
          {!upcoming && <><td class="mono">{fmt_time(r.start_time)}</td><td>{fmt_duration(r.duration_seconds ?? span_seconds(r.start_time, r.end_time))}</td><td>{r.run_count ?? 1}</td></>}
          <td class="mono msg">{r.parameters && Object.keys(r.parameters).length ? JSON.stringify(r.parameters) : '—'}</td></tr>))}</tbody>
    </table></div>
  );
}
