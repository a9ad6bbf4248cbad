// The one door to the server's API (/api). It adds the API key when the user
// gave one (kept in sessionStorage: asked once per browser session), and turns
// a 401 into a prompt instead of an error page.
import type { ArtifactPage, ConcurrencyLimit, Deployment, DeploymentPage, FlowRunDetail, FlowRunPage, Graph, LogPage, ResultPage, Stats,
  TaskRunDetail, TaskRunPage, FlowRun, WorkPool, Worker } from './types';

const KEY_ITEM = 'baton.apiKey';
export const API_BASE = '/api';

export class ApiError extends Error {
  constructor(public status: number, message: string, public field?: string) { super(message); }
}

export function api_key(): string | null {
  try { return sessionStorage.getItem(KEY_ITEM); } catch { return null; }
}
export function set_api_key(key: string): void {
  try { sessionStorage.setItem(KEY_ITEM, key); } catch { /* private mode: kept for this page only */ }
  memory_key = key;
}
let memory_key: string | null = null;

// Waiters for a key: every request that met a 401 waits for the one prompt.
type KeyListener = (asking: boolean) => void;
const key_listeners = new Set<KeyListener>();
let key_waiters: (() => void)[] = [];
export function on_key_prompt(l: KeyListener): () => void { key_listeners.add(l); return () => key_listeners.delete(l); }
export function key_given(key: string): void {
  set_api_key(key);
  const w = key_waiters; key_waiters = [];
  key_listeners.forEach((l) => l(false));
  w.forEach((f) => f());
}
export function ask_for_key(): Promise<void> {
  return new Promise((resolve) => {
    key_waiters.push(resolve);
    key_listeners.forEach((l) => l(true));
  });
}

export function auth_headers(): Record<string, string> {
  const k = api_key() ?? memory_key;
  return k ? { Authorization: `Bearer ${k}` } : {};
}

// Counts the bytes of every API answer (the benchmark reads it).
export const traffic = { requests: 0, bytes: 0 };

// body, when given, is sent as JSON.
export async function request<T>(method: string, path: string, query?: Record<string, string | number | undefined | null | string[]>, body?: unknown): Promise<T> {
  const url = API_BASE + path + query_string(query);
  for (let attempt = 0; ; ++attempt) {
    const headers: Record<string, string> = { Accept: 'application/json', ...auth_headers() };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 401 && attempt < 5) { await ask_for_key(); continue; }
    const text = await res.text();
    traffic.requests++; traffic.bytes += text.length;
    let answer: unknown = null;
    try { answer = text ? JSON.parse(text) : null; } catch { /* not JSON: reported below */ }
    if (!res.ok) {
      const e = (answer as { error?: { message?: string; field?: string } } | null)?.error;
      throw new ApiError(res.status, e?.message ?? `${method} ${path}: HTTP ${res.status}`, e?.field);
    }
    if (answer === null) throw new ApiError(res.status, `${method} ${path}: the answer is not JSON`);
    return answer as T;
  }
}

export function query_string(q?: Record<string, string | number | undefined | null | string[]>): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => x && p.append(k, x));
    else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;
export const get_stats = (q: Record<string, string | number | undefined>) => request<Stats>('GET', '/flow-runs/stats', q);
export const list_flow_runs = (q: Record<string, string | number | undefined | string[]>) => request<FlowRunPage>('GET', '/flow-runs', q);
export const read_flow_run = (id: string) => request<FlowRunDetail>('GET', `/flow-runs/${enc(id)}`);
export const cancel_flow_run = (id: string) => request<FlowRun>('POST', `/flow-runs/${enc(id)}/cancel`);
export const list_task_runs = (id: string, q: Record<string, string | number | undefined>) => request<TaskRunPage>('GET', `/flow-runs/${enc(id)}/task-runs`, q);
export const read_graph = (id: string, q: Record<string, string | number | undefined>) => request<Graph>('GET', `/flow-runs/${enc(id)}/graph`, q);
export const flow_run_logs = (id: string, q: Record<string, string | number | undefined>) => request<LogPage>('GET', `/flow-runs/${enc(id)}/logs`, q);
export const flow_run_results = (id: string, q: Record<string, string | number | undefined>) => request<ResultPage>('GET', `/flow-runs/${enc(id)}/results`, q);
export const read_task_run = (id: string) => request<TaskRunDetail>('GET', `/task-runs/${enc(id)}`);
export const task_run_logs = (id: string, q: Record<string, string | number | undefined>) => request<LogPage>('GET', `/task-runs/${enc(id)}/logs`, q);
export const list_results = (q: Record<string, string | number | undefined>) => request<ResultPage>('GET', '/results', q);

// Deployments, work pools, concurrency limits, artifacts (issue 16).
export const list_deployments = (q: Record<string, string | number | undefined> = {}) => request<DeploymentPage>('GET', '/deployments', q);
export const read_deployment = (name: string) => request<Deployment>('GET', `/deployments/${enc(name)}`);
export const pause_deployment = (name: string) => request<Deployment>('POST', `/deployments/${enc(name)}/pause`);
export const resume_deployment = (name: string) => request<Deployment>('POST', `/deployments/${enc(name)}/resume`);
export const run_deployment = (name: string, body: { parameters?: Record<string, unknown>; run_name?: string; tags?: string[] }) =>
  request<FlowRun>('POST', `/deployments/${enc(name)}/runs`, undefined, body);
export const retry_flow_run = (id: string) => request<FlowRun>('POST', `/flow-runs/${enc(id)}/retry`);
export const list_work_pools = () => request<{ work_pools: WorkPool[] }>('GET', '/work-pools');
export const read_work_pool = (name: string) => request<WorkPool>('GET', `/work-pools/${enc(name)}`);
export const list_workers = (pool: string) => request<{ workers: Worker[] }>('GET', `/work-pools/${enc(pool)}/workers`);
export const list_concurrency_limits = () => request<{ concurrency_limits: ConcurrencyLimit[] }>('GET', '/concurrency-limits');
export const list_artifacts = (q: Record<string, string | number | undefined>) => request<ArtifactPage>('GET', '/artifacts', q);

// The newest runs of one deployment. The contract's /flow-runs filters by
// flow, not by deployment: read the flow's newest runs and keep the
// deployment's (scheduled runs are created ahead within a bounded horizon, so
// they are among the newest).
export async function list_deployment_runs(d: { name: string; flow_name: string }, limit = 500): Promise<FlowRun[]> {
  const page = await list_flow_runs({ flow: d.flow_name, limit });
  return page.flow_runs.filter((r) => r.deployment === d.name);
}
