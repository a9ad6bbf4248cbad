'use strict';
// The web UI on big runs, in Debian's headless Chromium against a real
// `baton server` (SQLite): a flow run of 100,000 task runs and a list of
// 10,000 flow runs. Figures (median of 3 page loads, each from a cold page):
//   ui_flow_run_first_paint        navigation → the run's header with its counts
//   ui_flow_run_graph_interactive  navigation → the graph drawn and answering input
//   ui_flow_run_js_heap            JS heap in use after the page settled
//   ui_flow_run_bytes              bytes the page transferred (HTML, JS, CSS, API)
//   ui_flow_run_list_first_paint   navigation → the first page of the 10,000-run list
// The peer: what a UI that downloads every task run to draw a summary would
// transfer and wait for (all pages of /flow-runs/{id}/task-runs, limit 1000).
// BATON_BENCH_QUICK=1: 2,000 task runs, 500 flow runs, one page load each (a smoke run).
//
//   node bench/ui_page.cjs --baton build/cli/baton --ui-dir build/ui/dist
const path = require('node:path');
const fs = require('node:fs');
const h = require(path.join(__dirname, '..', 'tests', 'ui', 'harness.cjs'));

const quick = process.env.BATON_BENCH_QUICK === '1';
const TASKS = quick ? 2000 : 100000;
const RUNS = quick ? 500 : 10000;
const REPEATS = quick ? 1 : 3;
const baton = h.arg('baton'), ui_dir = h.arg('ui-dir');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const line = (name, value, unit) => console.log(`bench ${name} ${Math.abs(value) >= 1 ? +value.toFixed(2) : +value.toPrecision(3)} ${unit}`);

async function measure(browser, url, marks) {
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Performance.enable');
  let bytes = 0;
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
  await page.goto(url);
  const times = {};
  for (const m of marks) {
    await page.waitForFunction((n) => performance.getEntriesByName(n, 'mark').length > 0, m, { timeout: 120000 });
    times[m] = await page.evaluate((n) => performance.getEntriesByName(n, 'mark')[0].startTime, m);
  }
  await page.waitForTimeout(500);
  const metrics = await cdp.send('Performance.getMetrics');
  const heap = metrics.metrics.find((x) => x.name === 'JSHeapUsedSize')?.value ?? 0;
  await page.close();
  return { times, heap, bytes };
}

async function main() {
  if (!baton || !ui_dir) { console.error('usage: ui_page.cjs --baton PATH --ui-dir DIR'); process.exit(2); }
  if (!fs.existsSync('/usr/bin/chromium')) { console.log('ui_page: /usr/bin/chromium is absent; skipped'); process.exit(77); }
  const dir = h.temp_dir('baton-ui-bench-');
  let server = null, browser = null;
  try {
    try { server = await h.start_server({ baton, ui_dir, dir }); }
    catch (e) { console.log(`ui_page: the server did not start (${String(e.message).split('\n')[0]}); skipped`); process.exit(77); }
    const src = new h.Source(server.url);
    const now = Date.now() * 1000;
    const tasks = h.big_tasks(TASKS, now - 3600e6);
    const big = h.flow_run_events(src, { flow_name: 'taxi-etl', run_name: 'big', created_us: now - 3601e6, state: 'Failed', message: 'failures', end_us: tasks[tasks.length - 1].end_us + 10, tasks });
    let t0 = Date.now();
    await src.flush();
    line('ui_ingest_task_runs_per_s', TASKS / ((Date.now() - t0) / 1000), 'task_runs/s');
    for (let i = 0; i < RUNS; ++i) {
      const c = now - (RUNS - i) * 1e6;
      h.flow_run_events(src, { flow_name: `flow-${i % 20}`, run_name: `run-${i}`, created_us: c, state: i % 17 === 0 ? 'Failed' : 'Completed', end_us: c + 5e5, tasks: [] });
    }
    await src.flush();

    browser = await h.launch_browser(path.join(dir, 'chromium-profile'));
    const runs = [];
    for (let i = 0; i < REPEATS; ++i) runs.push(await measure(browser, `${server.url}/flow-runs/${big.id}`, ['baton:flow-run-painted', 'baton:graph-drawn']));
    line('ui_flow_run_first_paint', median(runs.map((r) => r.times['baton:flow-run-painted'])), 'ms');
    line('ui_flow_run_graph_interactive', median(runs.map((r) => r.times['baton:graph-drawn'])), 'ms');
    line('ui_flow_run_js_heap', median(runs.map((r) => r.heap)) / 1048576, 'MiB');
    line('ui_flow_run_bytes', median(runs.map((r) => r.bytes)) / 1024, 'KiB');
    line('ui_flow_run_task_runs', TASKS, 'task_runs');

    const lists = [];
    for (let i = 0; i < REPEATS; ++i) lists.push(await measure(browser, `${server.url}/flow-runs`, ['baton:flow-runs-painted']));
    line('ui_flow_run_list_first_paint', median(lists.map((r) => r.times['baton:flow-runs-painted'])), 'ms');
    line('ui_flow_run_list_runs', RUNS + 1, 'flow_runs');

    // Peer: every task run downloaded, as a UI without server-side aggregation does.
    t0 = Date.now();
    let bytes = 0, cursor = null, n = 0;
    do {
      const res = await fetch(`${server.url}/api/flow-runs/${big.id}/task-runs?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      const text = await res.text();
      bytes += Buffer.byteLength(text);
      const body = JSON.parse(text);
      n += body.task_runs.length; cursor = body.next_cursor;
    } while (cursor);
    line('ui_peer_all_task_runs_ms', Date.now() - t0, 'ms');
    line('ui_peer_all_task_runs_bytes', bytes / 1024, 'KiB');
    line('ui_flow_run_bytes_vs_peer', median(runs.map((r) => r.bytes)) / bytes, 'ratio');
    if (n !== TASKS) throw new Error(`the peer read ${n} task runs, expected ${TASKS}`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (server) await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
