'use strict';
// Shared by the browser test (ui_browser_test.cjs) and the benchmark
// (bench/ui_page.cjs): start a real `baton server` on loopback with a fresh
// SQLite database, fill it through its real ingest API (POST /api/events), and
// launch Debian's Chromium headless through playwright-core (no browser download).
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const { chromium } = require(path.join(ROOT, 'ui', 'node_modules', 'playwright-core'));

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

// Starts `baton server start --port 0` and resolves with its base URL once it
// prints "baton server listening on http://HOST:PORT/api".
function start_server({ baton, ui_dir, dir, api_key }) {
  const db = path.join(dir, 'runs.db');
  const args = ['server', 'start', '--port', '0', '--host', '127.0.0.1', '--database', db, '--ui-dir', ui_dir];
  const env = { ...process.env, BATON_HOME: dir };
  delete env.BATON_API_KEY;
  if (api_key) env.BATON_API_KEY = api_key;
  const child = spawn(baton, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`baton server did not say where it listens within 60 s:\n${out}`)); }, 60000);
    const on = (d) => {
      out += d.toString();
      const m = out.match(/baton server listening on (http:\/\/[^\s]+)\/api/);
      if (m) { clearTimeout(timer); resolve({ url: m[1], child, log: () => out, stop: () => stop(child) }); }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`baton server exited with ${code} before listening:\n${out}`)); });
  });
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    child.kill('SIGTERM');
  });
}

// The events of one engine process, sent in order with consecutive seq numbers.
class Source {
  constructor(url, api_key) { this.url = url; this.api_key = api_key; this.id = `ui-test-${crypto.randomUUID()}`; this.seq = 1; this.events = []; }
  push(e) { this.events.push(e); }
  async flush(batch = 50000) {
    while (this.events.length) {
      const events = this.events.splice(0, batch);
      const body = JSON.stringify({ source: this.id, first_seq: this.seq, events });
      this.seq += events.length;
      const res = await fetch(`${this.url}/api/events`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(this.api_key ? { Authorization: `Bearer ${this.api_key}` } : {}) }, body });
      const text = await res.text();
      if (!res.ok) throw new Error(`POST /api/events: HTTP ${res.status}: ${text.slice(0, 500)}`);
    }
  }
}

const uuid = () => crypto.randomUUID();
const LEVEL = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };

// A flow run as an engine reports it. tasks: [{name, run_name, state, message, start_us, end_us, upstream: [index...], logs: [[level, msg]]}]
function flow_run_events(src, { flow_name, run_name, parameters = {}, tags = [], created_us, state, message = '', end_us, tasks = [], parent, results = [] }) {
  const id = uuid();
  src.push({ kind: 'flow_run_created', id, ...(parent ? { parent_flow_run: parent } : {}), flow_name, run_name, parameters, tags, version: '1.0', created_us, pid: 4242, process_started: created_us, hostname: 'ui-test-host' });
  src.push({ kind: 'state_changed', run: id, run_kind: 'flow', state: 'Pending', at_us: created_us, message: '' });
  src.push({ kind: 'state_changed', run: id, run_kind: 'flow', state: 'Running', at_us: created_us + 1000, message: '' });
  const ids = [];
  for (const t of tasks) {
    const tid = uuid();
    ids.push(tid);
    src.push({ kind: 'task_run_created', id: tid, flow_run: id, task_name: t.name, run_name: t.run_name, parameters: t.parameters ?? {}, tags: [], created_us: t.start_us - 10 });
    for (const u of t.upstream ?? []) src.push({ kind: 'edge_added', flow_run: id, upstream: ids[u], downstream: tid, edge_kind: 'data' });
    src.push({ kind: 'state_changed', run: tid, run_kind: 'task', state: 'Running', at_us: t.start_us, message: '' });
    for (const [lv, msg] of t.logs ?? []) src.push({ kind: 'log', flow_run: id, task_run: tid, level: LEVEL[lv], at_us: t.start_us + 5, message: msg });
    if (t.state !== 'Running') src.push({ kind: 'state_changed', run: tid, run_kind: 'task', state: t.state, at_us: t.end_us, message: t.message ?? '' });
  }
  for (const r of results) src.push({ kind: 'result_recorded', task_run: ids[r.task], flow_run: id, cache_key: r.cache_key, location: r.location, size: r.size, serializer: 'json', produced_by: ids[r.task], from_cache: !!r.from_cache });
  if (state !== 'Running') src.push({ kind: 'state_changed', run: id, run_kind: 'flow', state, at_us: end_us, message });
  return { id, task_ids: ids };
}

// A wide ETL shape: extract ×k → transform ×k (1:1) → load ×k/10 (fan-in of 10) → report.
// failures: how many transforms fail, spread evenly (their message names the row).
function big_tasks(n, t0_us, failures = 3) {
  const k = Math.floor((n - 1) / 2.1);
  const tasks = [];
  let t = t0_us;
  for (let i = 0; i < k; ++i) tasks.push({ name: 'extract', run_name: `extract-${i}`, state: 'Completed', start_us: t + i * 20, end_us: t + i * 20 + 900 });
  const failing = new Set();
  for (let f = 1; f <= failures; ++f) failing.add(Math.floor((k * f) / (failures + 1)));
  for (let i = 0; i < k; ++i) {
    const fail = failing.has(i);
    tasks.push({ name: 'transform', run_name: `transform-${i}`, state: fail ? 'Failed' : i % 50 === 0 ? 'Cached' : 'Completed', message: fail ? `ValueError: row ${i} has a negative fare` : '',
      start_us: t + i * 20 + 1000, end_us: t + i * 20 + 2500, upstream: [i], logs: i % 100 === 0 || fail ? [[fail ? 'ERROR' : 'INFO', fail ? `transform ${i} failed: negative fare` : `transformed chunk ${i}`]] : [] });
  }
  const loads = n - 1 - 2 * k;
  for (let j = 0; j < loads; ++j) {
    const ups = [];
    for (let q = 0; q < 10; ++q) { const src = k + ((j * 10 + q) % k); ups.push(src); }
    tasks.push({ name: 'load', run_name: `load-${j}`, state: 'Completed', start_us: t + 2 * k * 20 + 3000 + j * 10, end_us: t + 2 * k * 20 + 3500 + j * 10, upstream: ups });
  }
  tasks.push({ name: 'report', run_name: 'report', state: 'Completed', start_us: tasks[tasks.length - 1].end_us + 10, end_us: tasks[tasks.length - 1].end_us + 2000, upstream: [tasks.length - 1] });
  return tasks;
}

// What an engine does while its flow runs run: a heartbeat every interval (the
// server marks a silent run Crashed). Returns a stop function.
function keep_alive(url, ids, api_key, every_ms = 2000) {
  const beat = () => fetch(`${url}/api/heartbeat`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(api_key ? { Authorization: `Bearer ${api_key}` } : {}) },
    body: JSON.stringify({ flow_runs: ids(), interval_seconds: every_ms / 1000 }) }).then((r) => r.text()).catch(() => {});
  beat();
  const t = setInterval(beat, every_ms);
  return () => clearInterval(t);
}

async function launch_browser(user_data_dir) {
  return chromium.launchPersistentContext(user_data_dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--enable-precise-memory-info'],
    viewport: { width: 1280, height: 800 },
  });
}

function temp_dir(prefix) { return fs.mkdtempSync(path.join(os.tmpdir(), prefix)); }

module.exports = { ROOT, arg, start_server, keep_alive, Source, flow_run_events, big_tasks, launch_browser, temp_dir, uuid, LEVEL };
