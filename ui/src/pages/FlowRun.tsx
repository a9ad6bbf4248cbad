import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { cancel_flow_run, flow_run_results, list_flow_runs, list_task_runs, read_flow_run, read_graph, retry_flow_run } from '../lib/api';
import { FlowRunArtifacts } from './lazy_pages';
import { open_stream, type StreamStatus } from '../lib/stream';
import { navigate, set_query } from '../lib/router';
import { FAILURE_STATES, counts_text, is_final, segments_of, state_kind } from '../lib/states';
import { fmt_bytes, fmt_count, fmt_duration, fmt_time, parse_time, short_id, span_seconds } from '../lib/format';
import { mark_after_paint } from '../lib/marks';
import { is_complete, merge_task_run } from '../lib/merge';
import { StateBadge } from '../components/StateBadge';
import { Json, Tags } from '../components/Json';
import { use_async, use_now, use_throttle, use_title } from '../components/hooks';
import { Timeline, type TimelineRow } from '../canvas/Timeline';
import { Graph, type GraphBox } from '../canvas/Graph';
import { TaskTable, type TaskTableHandle } from './flowrun/TaskTable';
import { Logs, type LogsHandle } from './flowrun/Logs';
import type { FlowRun, FlowRunDetail, Graph as GraphData, LogLine, TaskRun } from '../lib/types';

// Up to this many task runs the page reads them all and draws one bar and one
// box per run; above it, it draws the server's per-task-name groups and reads
// runs a page at a time (a 100,000-run page stays a few hundred kilobytes).
const NODE_LIMIT = 2000;
const TABS = ['overview', 'task-runs', 'logs', 'details', 'results', 'artifacts'] as const;
type Tab = (typeof TABS)[number];
const TAB_LABEL: Record<Tab, string> = { overview: 'Overview', 'task-runs': 'Task runs', logs: 'Logs', details: 'Parameters & history', results: 'Results', artifacts: 'Artifacts' };

export function FlowRunPage({ id, query }: { id: string; query: URLSearchParams }) {
  const tab = (TABS.includes(query.get('tab') as Tab) ? query.get('tab') : 'overview') as Tab;
  const [run, set_run] = useState<FlowRunDetail | null>(null);
  const [error, set_error] = useState<string | null>(null);
  const [graph, set_graph] = useState<GraphData | null>(null);
  const [nodes, set_nodes] = useState<Map<string, TaskRun> | null>(null);
  const [stream, set_stream] = useState<StreamStatus>('connecting');
  const [cancel_error, set_cancel_error] = useState<string | null>(null);
  const [retrying, set_retrying] = useState(false);
  const table = useRef<TaskTableHandle | null>(null);
  const logs = useRef<LogsHandle | null>(null);
  const now = use_now(run && !is_final(run.state) ? 1000 : 60000);
  use_title(run ? `${run.flow_name} / ${run.run_name || short_id(run.id)}` : 'Flow run');

  const load_run = async () => {
    try { set_run(await read_flow_run(id)); set_error(null); }
    catch (e) { set_error(e instanceof Error ? e.message : String(e)); }
  };
  const load_graph = async (first: boolean) => {
    try {
      const g = await read_graph(id, { limit: 0 });
      set_graph(g);
      if (g.total_nodes <= NODE_LIMIT && (first || nodes === null || nodes.size !== g.total_nodes)) {
        const full = await read_graph(id, { limit: NODE_LIMIT });
        set_graph(full);
        set_nodes(new Map(full.nodes.map((n) => [n.id, n])));
      }
    } catch (e) { if (first) set_error(e instanceof Error ? e.message : String(e)); }
  };
  useEffect(() => { void load_run(); void load_graph(true); }, [id]);
  const refresh = use_throttle(() => { void load_run(); void load_graph(false); }, 1500);
  useEffect(() => { if (run) mark_after_paint('baton:flow-run-painted'); }, [run]);
  // The run and its graph were read at two moments: when they disagree on the
  // number of task runs (a run still reporting), read the graph again.
  useEffect(() => {
    if (run && graph && run.task_run_count !== undefined && run.task_run_count !== graph.total_nodes) refresh();
  }, [run?.task_run_count, graph?.total_nodes]);

  useEffect(() => open_stream(id, (e) => {
    let v: unknown;
    try { v = JSON.parse(e.data); } catch { return; }
    if (e.event === 'task_run') {
      const t = v as TaskRun;
      table.current?.apply(t);
      set_nodes((m) => {
        if (!m || (!m.has(t.id) && (m.size >= NODE_LIMIT || !is_complete(t)))) return m; // new and partial: the refresh reads it
        const c = new Map(m); c.set(t.id, merge_task_run(c.get(t.id), t)); return c;
      });
      refresh();
    } else if (e.event === 'log') {
      logs.current?.append(v as LogLine);
    } else if (e.event === 'flow_run') {
      const f = v as FlowRun;
      set_run((r) => (r && f.id === r.id ? { ...r, ...f, task_run_count: r.task_run_count, history: r.history, task_run_counts: r.task_run_counts } : r));
      refresh();
    }
  }, set_stream), [id]);

  if (error && !run) return <div class="panel"><h1>Flow run</h1><p class="error" role="alert">{error}</p><a href="/flow-runs">All flow runs</a></div>;
  if (!run) return <p class="muted">Loading flow run…</p>;

  const dur = run.duration_seconds ?? span_seconds(run.start_time, run.end_time, now);
  const cancel = async () => {
    set_cancel_error(null);
    try { const f = await cancel_flow_run(run.id); set_run((r) => (r ? { ...r, ...f } : r)); }
    catch (e) { set_cancel_error(e instanceof Error ? e.message : String(e)); }
  };
  // A finished run of a deployment runs again with the same parameters (its
  // cached and persisted tasks are served from their results).
  const retry = async () => {
    set_cancel_error(null); set_retrying(true);
    try { const f = await retry_flow_run(run.id); set_run((r) => (r ? { ...r, ...f } : r)); void load_run(); }
    catch (e) { set_cancel_error(e instanceof Error ? e.message : String(e)); }
    finally { set_retrying(false); }
  };
  return (
    <div>
      <header class="panel" data-testid="flow-run-header">
        <div class="row spread">
          <div>
            <div class="muted"><a href={`/flow-runs?flow=${encodeURIComponent(run.flow_name)}`}>{run.flow_name}</a>{run.parent_flow_run && <> · child of <a href={`/flow-runs/${run.parent_flow_run}`}>{short_id(run.parent_flow_run)}</a></>}</div>
            <h1>{run.run_name || short_id(run.id)}</h1>
            <div class="row">
              <StateBadge state={run.state} cancel_requested={!!run.cancel_requested} />
              <span>{fmt_duration(dur)}</span>
              <span data-testid="task-count"><b>{fmt_count(run.task_run_count ?? graph?.total_nodes ?? 0)}</b> task runs</span>
              {!is_final(run.state) && <span class={`live ${stream === 'live' ? 'on' : ''}`} aria-live="polite">{stream === 'live' ? 'live' : 'connecting…'}</span>}
            </div>
          </div>
          <div class="row">
            <a href={`/compare?a=${run.id}`}>Compare…</a>
            {is_final(run.state) && run.deployment && (
              <button type="button" onClick={() => void retry()} disabled={retrying} data-testid="retry">{retrying ? 'Retrying…' : 'Retry'}</button>)}
            {!is_final(run.state) && (
              <button class="danger" type="button" onClick={() => void cancel()} disabled={!!run.cancel_requested} data-testid="cancel">
                {run.cancel_requested ? 'Cancel requested' : 'Cancel run'}</button>)}
          </div>
        </div>
        {run.state_message && <p class={state_kind(run.state) === 'failed' || state_kind(run.state) === 'crashed' ? 'error' : 'muted'} data-testid="flow-run-message">{run.state_message}</p>}
        {cancel_error && <p class="error" role="alert">{cancel_error}</p>}
        <dl class="kv kv2">
          <dt>Started</dt><dd>{fmt_time(run.start_time)}{run.end_time && <> · ended {fmt_time(run.end_time)}</>}</dd>
          <dt>By state</dt><dd data-testid="task-counts">{counts_text(run.task_run_counts) || '—'}</dd>
          <dt>Process</dt><dd>{run.hostname || (run.pid ? '' : '—')}{run.pid ? <>{run.hostname ? ' · ' : ''}pid {run.pid}</> : null}{run.version && <> · version {run.version}</>}</dd>
          <dt>Tags</dt><dd><Tags tags={run.tags} /></dd>
          {run.deployment && <><dt>Deployment</dt><dd data-testid="run-deployment"><a href={`/deployments/${encodeURIComponent(run.deployment)}`}>{run.deployment}</a></dd></>}
          {run.work_pool && <><dt>Work pool</dt><dd><a href={`/work-pools/${encodeURIComponent(run.work_pool)}`}>{run.work_pool}</a>{run.worker && <> · worker <span class="mono">{short_id(run.worker)}</span></>}</dd></>}
          {run.expected_start_time && <><dt>Expected start</dt><dd>{fmt_time(run.expected_start_time)}{late_by(run) && <span class="muted"> · started {late_by(run)} late</span>}</dd></>}
          {run.run_count !== undefined && (run.run_count > 1 || run.deployment) && <><dt>Run count</dt><dd data-testid="run-count">{run.run_count}</dd></>}
          <dt>Id</dt><dd class="mono">{run.id}</dd>
        </dl>
      </header>
      <div class="tabs" role="tablist" aria-label="Flow run sections">
        {TABS.map((t) => (
          <button key={t} role="tab" type="button" aria-selected={tab === t} aria-controls={`tab-${t}`} id={`tabbtn-${t}`}
            onClick={() => set_query({ tab: t === 'overview' ? null : t }, false)}
            onKeyDown={(e) => {
              const i = TABS.indexOf(t);
              const j = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
              if (j >= 0) { set_query({ tab: TABS[j] === 'overview' ? null : TABS[j] }, false); document.getElementById(`tabbtn-${TABS[j]}`)?.focus(); }
            }}>{TAB_LABEL[t]}</button>))}
      </div>
      <section role="tabpanel" id={`tab-${tab}`} aria-labelledby={`tabbtn-${tab}`}>
        {tab === 'overview' && <Overview run={run} graph={graph} nodes={nodes} now={now} />}
        {tab === 'task-runs' && <div class="panel"><TaskTable flow_run={run.id} total={run.task_run_count ?? 0} register={(h) => { table.current = h; }}
          initial_state={query.get('state') ?? ''} on_state={(s) => set_query({ state: s || null })} /></div>}
        {tab === 'logs' && <div class="panel"><Logs flow_run={run.id} register={(h) => { logs.current = h; }} /></div>}
        {tab === 'details' && <Details run={run} />}
        {tab === 'results' && <Results flow_run={run.id} />}
        {tab === 'artifacts' && <FlowRunArtifacts flow_run={run.id} />}
      </section>
    </div>
  );
}

function Overview({ run, graph, nodes, now }: { run: FlowRunDetail; graph: GraphData | null; nodes: Map<string, TaskRun> | null; now: number }) {
  const failures = use_async(() => list_task_runs(run.id, { state: FAILURE_STATES.join(','), limit: 5 }), [run.id, run.task_run_counts?.Failed, run.task_run_counts?.Crashed, run.task_run_counts?.TimedOut]);
  const [open_group, set_open_group] = useState<string | null>(null);
  const [node_page, set_node_page] = useState<{ cursor: string | null; n: number } | null>(null);
  const page_graph = use_async(async () => node_page ? read_graph(run.id, { limit: 500, cursor: node_page.cursor ?? undefined }) : null, [node_page?.n]);
  const rows = useMemo<TimelineRow[]>(() => {
    const list = page_graph.data ? page_graph.data.nodes : nodes ? [...nodes.values()] : null;
    if (list) {
      return list.sort((a, b) => (parse_time(a.start_time) ?? Infinity) - (parse_time(b.start_time) ?? Infinity))
        .map((t) => ({ key: t.id, label: t.run_name || t.task_name, start: parse_time(t.start_time), end: parse_time(t.end_time), state: t.state, href: `/task-runs/${t.id}`, note: t.state_message }));
    }
    return [...(graph?.groups ?? [])].sort((a, b) => (parse_time(a.start_time) ?? Infinity) - (parse_time(b.start_time) ?? Infinity)).map((g) => ({
      key: g.task_name, label: `${g.task_name} ×${fmt_count(g.count)}`, start: parse_time(g.start_time), end: parse_time(g.end_time),
      segments: segments_of(g.counts_by_state), note: counts_text(g.counts_by_state),
    }));
  }, [nodes, graph, page_graph.data]);
  const small = nodes !== null;
  const { boxes, edges } = useMemo(() => {
    const pg = page_graph.data;
    if (pg) return node_boxes(new Map(pg.nodes.map((n) => [n.id, n])), pg.edges.map((e) => [e.upstream, e.downstream] as [string, string]));
    if (small) return node_boxes(nodes!, (graph?.edges ?? []).map((e) => [e.upstream, e.downstream] as [string, string]));
    const groups = graph?.groups ?? [];
    const b: GraphBox[] = groups.map((g) => ({ id: g.task_name, label: g.task_name, sub: `${fmt_count(g.count)} ${g.count === 1 ? 'run' : 'runs'}${fail_count(g.counts_by_state) ? ` · ${fmt_count(fail_count(g.counts_by_state))} failed` : ''}`, segments: segments_of(g.counts_by_state), title: `${g.task_name}: ${fmt_count(g.count)} runs (${counts_text(g.counts_by_state)})` }));
    const e: [string, string][] = [];
    for (const g of groups) for (const u of g.upstream_groups ?? []) e.push([u, g.task_name]);
    return { boxes: b, edges: e };
  }, [graph, nodes, page_graph.data]);

  return (
    <div>
      {failures.data && failures.data.task_runs.length > 0 && (
        <section class="panel" aria-labelledby="ff-h" data-testid="first-failures">
          <h2 id="ff-h">Failures</h2>
          <table><tbody>{failures.data.task_runs.map((t) => (
            <tr key={t.id}><td><a href={`/task-runs/${t.id}`}>{t.run_name || t.task_name}</a></td><td><StateBadge state={t.state} /></td><td class="msg">{t.state_message}</td></tr>))}</tbody></table>
          <a href={`/flow-runs/${run.id}?tab=task-runs&state=${FAILURE_STATES.join(',')}`}>All failed task runs →</a>
        </section>)}
      <section class="panel" aria-labelledby="tl-h">
        <h2 id="tl-h">Timeline {page_graph.data ? <span class="muted">— the task runs of the graph's page</span> : !small && <span class="muted">— one bar per task name ({fmt_count(graph?.total_nodes ?? 0)} task runs)</span>}</h2>
        {graph ? <Timeline rows={rows} now={now} on_open={(r) => { if (r.href) navigate(r.href); else set_open_group(r.key); }} /> : <p class="muted">Loading…</p>}
      </section>
      <section class="panel" aria-labelledby="g-h">
        <div class="row spread">
          <h2 id="g-h">Dependency graph {page_graph.data ? <span class="muted">— task runs {fmt_count(node_page!.n * 500 + 1)}–{fmt_count(node_page!.n * 500 + page_graph.data.nodes.length)} of {fmt_count(page_graph.data.total_nodes)}</span>
            : !small && <span class="muted">— grouped by task name</span>}</h2>
          {!small && graph && (
            <div class="row">
              {node_page ? <>
                <button type="button" onClick={() => set_node_page(null)}>Back to groups</button>
                {page_graph.data?.next_cursor && <button type="button" onClick={() => set_node_page({ cursor: page_graph.data!.next_cursor!, n: node_page.n + 1 })}>Next 500 →</button>}
              </> : <button type="button" onClick={() => set_node_page({ cursor: null, n: 0 })}>Show task runs (pages of 500)</button>}
            </div>)}
        </div>
        {graph ? (boxes.length ? <Graph boxes={boxes} edges={edges} on_open={(bid) => { if (small || page_graph.data) navigate(`/task-runs/${bid}`); else set_open_group(bid); }} selected={open_group} />
          : <p class="muted">No task runs yet.</p>) : <p class="muted">Loading…</p>}
        {open_group && !small && <GroupRuns flow_run={run.id} task_name={open_group} count={graph?.groups.find((g) => g.task_name === open_group)?.count ?? 0} on_close={() => set_open_group(null)} />}
        {graph && <p class="muted" style={{ fontSize: '.8rem' }}>{fmt_count(graph.total_nodes)} task runs, {fmt_count(graph.total_edges)} edges, {graph.groups.length} task names.</p>}
        <ChildRuns id={run.id} />
      </section>
    </div>
  );
}

// How long after its expected start a run started, when more than a second.
function late_by(run: FlowRun): string | null {
  const e = parse_time(run.expected_start_time), s = parse_time(run.start_time);
  return e !== null && s !== null && s - e > 1000 ? fmt_duration((s - e) / 1000) : null;
}

function fail_count(c?: Record<string, number>): number {
  return FAILURE_STATES.reduce((a, s) => a + (c?.[s] ?? 0), 0);
}

function node_boxes(nodes: Map<string, TaskRun>, edges: [string, string][]) {
  const boxes: GraphBox[] = [...nodes.values()].map((t) => ({
    id: t.id, label: t.run_name || t.task_name, sub: t.state, segments: [{ kind: state_kind(t.state), frac: 1 }],
    title: `${t.run_name || t.task_name}: ${t.state}${t.state_message ? ` — ${t.state_message}` : ''}`,
  }));
  return { boxes, edges };
}

// One group expanded: its first runs (a page), each a link with its state.
function GroupRuns({ flow_run, task_name, count, on_close }: { flow_run: string; task_name: string; count: number; on_close: () => void }) {
  const page = use_async(() => list_task_runs(flow_run, { name: task_name, limit: 200 }), [task_name]);
  const runs = (page.data?.task_runs ?? []).filter((t) => t.task_name === task_name);
  return (
    <div class="panel" style={{ marginTop: '.5rem' }} data-testid="group-runs">
      <div class="row spread"><b>{task_name}: {fmt_count(count)} runs{runs.length < count ? `, the first ${runs.length} shown` : ''}</b>
        <button type="button" onClick={on_close}>Close</button></div>
      {page.error && <p class="error">{page.error}</p>}
      <div class="row" style={{ gap: '.3rem', marginTop: '.5rem' }}>
        {runs.map((t) => <a key={t.id} href={`/task-runs/${t.id}`} class={`badge ${state_kind(t.state)}`} title={`${t.run_name}: ${t.state}`}>{t.run_name || short_id(t.id)} · {t.state}</a>)}
      </div>
      <a href={`/flow-runs/${flow_run}?tab=task-runs`}>All in the task-run table →</a>
    </div>
  );
}

// Child flow runs (subflows): collapsed unless opened.
function ChildRuns({ id }: { id: string }) {
  const [open, set_open] = useState(false);
  const kids = use_async(() => list_flow_runs({ parent: id, limit: 100 }), [id]);
  const n = kids.data?.flow_runs.length ?? 0;
  if (!n) return null;
  return (
    <details open={open} onToggle={(e) => set_open((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>Child flow runs ({n}{kids.data?.next_cursor ? '+' : ''})</summary>
      <ul>{kids.data!.flow_runs.map((f) => <li key={f.id}><a href={`/flow-runs/${f.id}`}>{f.flow_name} / {f.run_name || short_id(f.id)}</a> <StateBadge state={f.state} /> {fmt_count(f.task_run_count ?? 0)} task runs</li>)}</ul>
    </details>
  );
}

function Details({ run }: { run: FlowRunDetail }) {
  return (
    <div>
      <section class="panel"><h2>Parameters</h2><Json value={run.parameters} /></section>
      <section class="panel"><h2>State history</h2><History history={run.history} /></section>
    </div>
  );
}

export function History({ history }: { history?: { state: string; time: string; message?: string }[] }) {
  if (!history?.length) return <p class="muted">No states recorded.</p>;
  return (
    <table data-testid="history"><thead><tr><th>Time</th><th>State</th><th>Message</th></tr></thead>
      <tbody>{history.map((h, i) => <tr key={i}><td class="mono">{fmt_time(h.time)}</td><td><StateBadge state={h.state} /></td><td class="msg">{h.message}</td></tr>)}</tbody></table>
  );
}

function Results({ flow_run }: { flow_run: string }) {
  const [cursor, set_cursor] = useState<string | null>(null);
  const page = use_async(() => flow_run_results(flow_run, { limit: 200, cursor: cursor ?? undefined }), [cursor]);
  return (
    <section class="panel"><h2>Results and cache records</h2>
      {page.error && <p class="error">{page.error}</p>}
      {page.data && (page.data.results.length === 0 ? <p class="muted">No results recorded (results are recorded when a task persists or caches them).</p> : (
        <div class="scroll-x"><table><thead><tr><th>Task run</th><th>Cache key</th><th>Location</th><th>Size</th><th>Serializer</th><th>From cache</th></tr></thead>
          <tbody>{page.data.results.map((r, i) => (
            <tr key={i}><td>{r.task_run ? <a href={`/task-runs/${r.task_run}`}>{short_id(r.task_run)}</a> : '—'}</td>
              <td class="mono">{r.cache_key ? <a href={`/results?cache_key=${encodeURIComponent(r.cache_key)}`}>{r.cache_key}</a> : '—'}</td>
              <td class="mono msg">{r.location}</td><td>{fmt_bytes(r.size)}</td><td>{r.serializer}</td><td>{r.from_cache ? 'yes' : 'no'}</td></tr>))}</tbody></table></div>))}
      {page.data?.next_cursor && <button type="button" onClick={() => set_cursor(page.data!.next_cursor)}>Next page →</button>}
    </section>
  );
}
