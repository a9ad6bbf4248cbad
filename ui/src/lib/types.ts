// The shapes of src/server/openapi.json that the UI reads.
export type StateName =
  | 'Scheduled' | 'Pending' | 'Running' | 'Retrying' | 'AwaitingRetry' | 'Completed' | 'Cached'
  | 'Failed' | 'TimedOut' | 'Crashed' | 'Cancelled' | 'NotReady' | 'Late' | 'Paused'
  | 'AwaitingConcurrencySlot';

export interface StateTransition { state: StateName; time: string; message?: string }

export interface FlowRun extends FlowRunDeploymentFields {
  id: string; parent_flow_run?: string | null; flow_name: string; run_name?: string;
  parameters?: Record<string, unknown>; tags?: string[]; version?: string; created: string;
  state: StateName; state_time?: string; state_message?: string;
  start_time?: string | null; end_time?: string | null; duration_seconds?: number | null;
  pid?: number; hostname?: string; heartbeat?: string | null; cancel_requested?: string | null;
  task_run_count?: number;
}
export interface FlowRunDetail extends FlowRun {
  history?: StateTransition[]; task_run_counts?: Record<string, number>;
}
export interface TaskRun {
  id: string; flow_run?: string | null; task_name: string; run_name?: string;
  parameters?: Record<string, unknown>; tags?: string[]; created: string; state: StateName;
  state_time?: string; state_message?: string; start_time?: string | null; end_time?: string | null;
}
export interface ResultRecord {
  task_run?: string; flow_run?: string; cache_key?: string; location?: string; size?: number;
  serializer?: string; produced_by?: string; from_cache?: boolean;
}
export interface TaskRunDetail extends TaskRun {
  history?: StateTransition[]; upstream?: string[]; downstream?: string[]; result?: ResultRecord | null;
}
export interface Edge { upstream: string; downstream: string; kind: 'data' | 'wait_for' }
export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';
export interface LogLine { flow_run?: string; task_run?: string | null; level: LogLevel; time: string; message: string }
export interface GraphGroup {
  task_name: string; count: number; counts_by_state?: Record<string, number>;
  start_time?: string | null; end_time?: string | null; upstream_groups?: string[];
}
export interface Graph {
  total_nodes: number; total_edges: number; groups: GraphGroup[]; nodes: TaskRun[]; edges: Edge[];
  next_cursor?: string | null;
}
export interface Stats {
  buckets: { start: string; counts: Record<string, number> }[];
  running: number; failed: number; crashed: number;
}
export type FlowRunPage = { flow_runs: FlowRun[]; next_cursor: string | null };
export type TaskRunPage = { task_runs: TaskRun[]; next_cursor: string | null };
export type LogPage = { logs: LogLine[]; next_cursor: string | null };
export type ResultPage = { results: ResultRecord[]; next_cursor: string | null };

// Deployments, schedules, work pools, workers, concurrency limits, artifacts (issue 16).
export interface FlowRunDeploymentFields {
  deployment?: string | null; work_pool?: string | null; schedule?: string | null;
  expected_start_time?: string | null; worker?: string | null; lease_expires?: string | null; run_count?: number;
}
export interface Schedule {
  id?: string; kind: 'cron' | 'interval' | 'rrule'; cron?: string; interval_seconds?: number; anchor?: string;
  rrule?: string; timezone?: string; active?: boolean;
}
export interface ParameterSpec { name: string; type: string; required?: boolean; default?: string | null }
export interface Deployment {
  id: string; name: string; flow_name: string; command: string[]; description?: string;
  parameters?: Record<string, unknown>; parameter_specs?: ParameterSpec[]; tags?: string[]; work_pool: string;
  schedules?: Schedule[]; paused?: boolean; retries?: number; retry_delay_seconds?: number;
  concurrency_limit?: number | null; created: string; updated: string; next_runs?: string[];
}
export interface WorkPool {
  name: string; description?: string; concurrency_limit?: number | null; paused?: boolean; created?: string;
  workers_online?: number; runs_scheduled?: number; runs_running?: number;
}
export interface Worker {
  id: string; name?: string; work_pool: string; hostname?: string; pid?: number; limit?: number | null;
  last_heartbeat?: string; status?: 'online' | 'offline'; runs?: string[];
}
export interface ConcurrencyLimit { tag: string; limit: number; active_slots?: number; holders?: string[]; created?: string }
export type ArtifactType = 'markdown' | 'table' | 'link';
export interface Artifact {
  id?: string; key: string; version?: number; type: ArtifactType; data: unknown; description?: string;
  flow_run?: string | null; task_run?: string | null; created?: string;
}
export type DeploymentPage = { deployments: Deployment[]; next_cursor: string | null };
export type ArtifactPage = { artifacts: Artifact[]; next_cursor: string | null };
