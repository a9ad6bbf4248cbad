'use strict';
// The web UI in a real browser against a real server: Debian's Chromium,
// headless, driven by playwright-core; `baton server start` on loopback with a
// temporary SQLite database filled through POST /api/events. Each check looks
// at what a person sees, and every page is saved as a screenshot in --out.
//
//   node ui_browser_test.cjs --baton build/cli/baton --ui-dir build/ui/dist --out build/tests/ui/screens
// BATON_UI_TEST_TASKS sets the size of the big flow run (default 100000).
const fs = require('node:fs');
const path = require('node:path');
const assert = require('node:assert/strict');
const h = require('./harness.cjs');
const { automation_checks } = require('./automation_checks.cjs');

const baton = h.arg('baton');
const ui_dir = h.arg('ui-dir');
const out = h.arg('out', path.join(process.cwd(), 'ui-screens'));
const BIG = Number(process.env.BATON_UI_TEST_TASKS ?? 100000);
// The directory of the example programs (hello_flow, slow_flow); given when the
// engine can report to a server (the client layer is built).
const examples = h.arg('examples');
if (!baton || !ui_dir) { console.error('usage: ui_browser_test.cjs --baton PATH --ui-dir DIR [--out DIR]'); process.exit(2); }
if (!fs.existsSync(path.join(ui_dir, 'index.html'))) { console.error(`ui_browser_test: ${ui_dir}/index.html is missing (build the baton_ui target)`); process.exit(2); }
fs.mkdirSync(out, { recursive: true });

const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  try { await fn(); results.push([name, null]); console.log(`[ OK ] ${name} (${Date.now() - t0} ms)`); }
  catch (e) { results.push([name, e]); console.log(`[FAIL] ${name}\n${e && e.stack ? e.stack : e}`); }
}

const NOW_US = Date.now() * 1000;
const MIN = 60e6;

// The running runs go first and get heartbeats at once, as from a live engine
// (the server marks a Running run without heartbeats Crashed).
async function fill(url, on_running) {
  const src = new h.Source(url);
  const runs = {};
  // A run in progress and one to cancel.
  const live_t0 = Date.now() * 1000;
  runs.live = h.flow_run_events(src, { flow_name: 'streaming', run_name: 'live-run', created_us: live_t0, state: 'Running',
    tasks: [{ name: 'step', run_name: 'step-0', state: 'Completed', start_us: live_t0 + 1000, end_us: live_t0 + 50000, logs: [['INFO', 'step 0 done']] }] });
  runs.cancel = h.flow_run_events(src, { flow_name: 'streaming', run_name: 'to-cancel', created_us: live_t0 + 1000, state: 'Running',
    tasks: [{ name: 'wait', run_name: 'wait-0', state: 'Running', start_us: live_t0 + 2000 }] });
  await src.flush();
  on_running([runs.live.id, runs.cancel.id]);
  // A history of small runs over the last hours: completed, failed and crashed ones.
  for (let i = 0; i < 24; ++i) {
    const created = NOW_US - (i + 1) * 17 * MIN;
    const failed = i % 6 === 2, crashed = i === 9;
    const tasks = [
      { name: 'fetch', run_name: 'fetch-1', state: 'Completed', start_us: created + 2000, end_us: created + 400000, logs: [['INFO', `fetched 120 rows for day ${i}`]] },
      { name: 'clean', run_name: 'clean-1', state: i % 2 ? 'Cached' : 'Completed', start_us: created + 410000, end_us: created + 900000, upstream: [0] },
      { name: 'train', run_name: 'train-1', state: failed ? 'Failed' : crashed ? 'Crashed' : 'Completed', message: failed ? `RuntimeError: model ${i} diverged (loss=nan)` : crashed ? 'the worker process was killed by signal 9' : '',
        start_us: created + 910000, end_us: created + 3e6, upstream: [1], logs: failed ? [['ERROR', `loss became nan at epoch ${i}`]] : [['INFO', 'epoch 1 loss 0.31']] },
    ];
    const r = h.flow_run_events(src, { flow_name: 'daily-model', run_name: `daily-${String(i).padStart(2, '0')}`, parameters: { day: i, lr: i % 2 ? 0.01 : 0.02 }, tags: ['ml', i % 2 ? 'odd' : 'even'],
      created_us: created, state: failed ? 'Failed' : crashed ? 'Crashed' : 'Completed', message: failed ? 'Task train-1 failed' : crashed ? 'Crashed: the engine stopped sending heartbeats' : '', end_us: created + 3.1e6, tasks,
      results: [{ task: 1, cache_key: `clean-key-${i % 3}`, location: `/tmp/baton/results/clean-${i}.json`, size: 2048 + i, from_cache: i % 2 === 1 }] });
    runs[`daily-${i}`] = r;
  }
  // The 100,000-task run.
  const big_t0 = NOW_US - 30 * MIN;
  const big_tasks = h.big_tasks(BIG, big_t0);
  runs.big = h.flow_run_events(src, { flow_name: 'taxi-etl', run_name: 'big-etl', parameters: { months: 12, rows: 1e8 }, tags: ['big'], created_us: big_t0 - 1000,
    state: 'Failed', message: '3 task runs failed', end_us: big_tasks[big_tasks.length - 1].end_us + 100, tasks: big_tasks });
  const t0 = Date.now();
  const n = src.events.length;
  await src.flush();
  console.log(`filled the database: ${n} events in ${Date.now() - t0} ms`);
  return { src, runs };
}

async function main() {
  const dir = h.temp_dir('baton-ui-test-');
  let server = null, browser = null, stop_beats = () => {};
  try {
    server = await h.start_server({ baton, ui_dir, dir });
    const { src, runs } = await fill(server.url, (ids) => { stop_beats = h.keep_alive(server.url, () => ids); });
    browser = await h.launch_browser(path.join(dir, 'chromium-profile'));
    const page = browser.pages()[0] ?? await browser.newPage();
    const problems = [];
    // Answers a check provokes on purpose (a 422 for a bad parameter) are not problems.
    const allowed = [];
    const allow_http = (status, url_part) => allowed.push({ status, url_part });
    const is_allowed = (status, url) => allowed.some((a) => a.status === status && url.includes(a.url_part));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const st = /status of (\d+)/.exec(m.text());
      if (st && is_allowed(Number(st[1]), m.location()?.url ?? '')) return;
      problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // A navigation aborts the fetches of the page it leaves: that is not a failure.
    page.on('requestfailed', (r) => { if (!r.url().includes('/api/stream') && r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`); });
    page.on('response', async (r) => { if (r.status() >= 400 && !is_allowed(r.status(), r.url())) problems.push(`HTTP ${r.status()} ${r.url()}: ${(await r.text().catch(() => '')).slice(0, 200)}`); });
    const shot = (name, fullPage = false) => page.screenshot({ path: path.join(out, `${name}.png`), fullPage });
    const U = server.url;

    await check('the dashboard counts failed and crashed runs and lists the latest failures with their messages', async () => {
      await page.goto(`${U}/`);
      await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
      await page.waitForFunction(() => document.querySelector('[data-testid=count-failed]')?.textContent !== '…');
      // 4 daily runs failed, 1 crashed, plus the big run failed; 2 are running.
      assert.equal(await page.textContent('[data-testid=count-running]'), '2');
      assert.equal(Number(await page.textContent('[data-testid=count-failed]')), 5);
      assert.equal(Number(await page.textContent('[data-testid=count-crashed]')), 1);
      await page.getByText('Task train-1 failed').first().waitFor();
      await page.getByText('3 task runs failed').waitFor();
      assert.ok(await page.locator('canvas[aria-label^="Flow runs over time"]').isVisible());
      await shot('dashboard');
    });

    await check('the flow-run list shows the runs, and a state filter in the URL keeps only those', async () => {
      await page.goto(`${U}/flow-runs`);
      await page.locator('[data-testid=flow-runs] tbody tr').first().waitFor();
      assert.equal(await page.locator('[data-testid=flow-runs] tbody tr').count(), 27);
      await page.getByRole('link', { name: 'big-etl', exact: true }).waitFor();
      await shot('flow-runs');
      await page.goto(`${U}/flow-runs?state=Crashed`);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=flow-runs] tbody tr').length === 1);
      await page.getByRole('link', { name: 'daily-09', exact: true }).waitFor();
      // The filter form shows what the URL says, and filtering by flow name changes the URL.
      await page.goto(`${U}/flow-runs`);
      await page.getByLabel('Flow', { exact: true }).fill('streaming');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/flow=streaming/);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=flow-runs] tbody tr').length === 2);
    });

    await check(`the ${BIG.toLocaleString('en-US')}-task flow run shows its task count, its graph and a failed task's message`, async () => {
      await page.goto(`${U}/flow-runs/${runs.big.id}`);
      await page.getByRole('heading', { name: 'big-etl' }).waitFor();
      assert.equal(await page.textContent('[data-testid=task-count] b'), BIG.toLocaleString('en-US'));
      await page.getByText('ValueError: row').first().waitFor();
      await page.waitForFunction(() => performance.getEntriesByName('baton:graph-drawn').length > 0);
      const counts = await page.textContent('[data-testid=task-counts]');
      assert.match(counts, /3 Failed/);
      await shot('flow-run-big', true);
      // Grouped by task name (a box per name), then a page of 500 runs with their edges.
      assert.match(await page.getAttribute('[data-testid=graph]', 'aria-label'), /of 4 boxes and 3 edges/);
      await page.getByRole('button', { name: 'Show task runs (pages of 500)' }).click();
      await page.locator('[data-testid=graph][aria-label*="of 500 boxes"]').waitFor();
      await page.locator('canvas[aria-label^="Timeline of 500 rows"]').waitFor();
      await page.getByRole('button', { name: 'Next 500 →' }).click();
      await page.getByText(/task runs 501–1,000 of/).waitFor();
    });

    await check('the task-run table jumps to the first failure and shows its message', async () => {
      await page.goto(`${U}/flow-runs/${runs.big.id}?tab=task-runs`);
      await page.locator('.vlist .vrow:not(.vhead)').first().waitFor();
      await page.getByTestId('jump-failure').click();
      await page.getByTestId('task-selected').getByText(/ValueError: row \d+ has a negative fare/).waitFor();
      await page.waitForFunction(() => document.querySelectorAll('.vlist .vrow:not(.vhead)').length === 3);
      await shot('flow-run-task-runs');
    });

    await check('the logs tab shows log lines and filters them by level', async () => {
      await page.goto(`${U}/flow-runs/${runs.big.id}?tab=logs`);
      await page.getByText('transformed chunk 0', { exact: true }).waitFor();
      await page.getByLabel('Level (and above)').selectOption('ERROR');
      await page.getByText(/transform \d+ failed: negative fare/).first().waitFor();
      await page.waitForFunction(() => /^3 lines/.test(document.querySelector('[data-testid=log-count]')?.textContent ?? ''));
      await shot('flow-run-logs');
      // The download holds the filtered lines as text.
      await page.getByRole('button', { name: 'Download' }).click();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('log-download').click()]);
      const text = fs.readFileSync(await download.path(), 'utf8');
      assert.equal(text.trim().split('\n').length, 3, text);
      assert.match(text, /ERROR +[0-9a-f]{8} transform \d+ failed: negative fare/);
    });

    await check('a small run shows one bar and one box per task run, and its failed task', async () => {
      const r = runs['daily-2'];
      await page.goto(`${U}/flow-runs/${r.id}`);
      await page.getByTestId('first-failures').getByText('RuntimeError: model 2 diverged (loss=nan)').waitFor();
      assert.match(await page.getAttribute('canvas[aria-label^="Timeline"]', 'aria-label'), /^Timeline of 3 rows/);
      assert.match(await page.getAttribute('[data-testid=graph]', 'aria-label'), /of 3 boxes and 2 edges/);
      await page.getByRole('tab', { name: 'Parameters & history' }).click();
      await page.getByTestId('history').locator('.badge[data-state=Failed]').waitFor();
      await shot('flow-run-small');
    });

    await check('the task-run page shows its states, message, upstream and logs', async () => {
      await page.goto(`${U}/task-runs/${runs['daily-2'].task_ids[2]}`);
      await page.getByTestId('task-message').getByText('RuntimeError: model 2 diverged').waitFor();
      await page.getByText('loss became nan at epoch 2').waitFor();
      await page.getByRole('heading', { name: 'Upstream (1)' }).waitFor();
      await shot('task-run');
    });

    await check('a run in progress updates without a reload: new task runs, states and log lines', async () => {
      const r = runs.live;
      await page.goto(`${U}/flow-runs/${r.id}?tab=logs`);
      await page.getByText('step 0 done').waitFor();
      await page.waitForFunction(() => document.querySelector('.live')?.textContent === 'live');
      const t = Date.now() * 1000;
      const ids = [];
      for (let i = 1; i <= 5; ++i) {
        const id = h.uuid(); ids.push(id);
        src.push({ kind: 'task_run_created', id, flow_run: r.id, task_name: 'step', run_name: `step-${i}`, parameters: {}, tags: [], created_us: t + i });
        src.push({ kind: 'state_changed', run: id, run_kind: 'task', state: 'Running', at_us: t + i * 10, message: '' });
        src.push({ kind: 'log', flow_run: r.id, task_run: id, level: 20, at_us: t + i * 10 + 1, message: `live line ${i}` });
        src.push({ kind: 'state_changed', run: id, run_kind: 'task', state: i === 5 ? 'Failed' : 'Completed', at_us: t + i * 10 + 5, message: i === 5 ? 'live failure' : '' });
      }
      await src.flush();
      await page.getByText('live line 5').waitFor({ timeout: 15000 });
      await page.waitForFunction(() => document.querySelector('[data-testid=task-count] b')?.textContent === '6', null, { timeout: 15000 });
      await page.waitForFunction(() => /1 Failed/.test(document.querySelector('[data-testid=task-counts]')?.textContent ?? ''), null, { timeout: 15000 });
      src.push({ kind: 'state_changed', run: r.id, run_kind: 'flow', state: 'Failed', at_us: t + 1000, message: 'step-5 failed' });
      await src.flush();
      await page.locator('[data-testid=flow-run-header] .badge[data-state=Failed]').waitFor({ timeout: 15000 });
      await shot('flow-run-live');
    });

    await check('cancel asks the server to cancel, and the run shows Cancelled when the engine stops it', async () => {
      const r = runs.cancel;
      await page.goto(`${U}/flow-runs/${r.id}`);
      await page.getByTestId('cancel').click();
      await page.getByText('cancel requested').first().waitFor();
      assert.equal(await page.getByTestId('cancel').textContent(), 'Cancel requested');
      // The engine learns of it at its heartbeat, as a real one would.
      const hb = await fetch(`${U}/api/heartbeat`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ flow_runs: [r.id], interval_seconds: 5 }) }).then((x) => x.json());
      assert.deepEqual(hb.cancel_requested, [r.id]);
      const t = Date.now() * 1000;
      src.push({ kind: 'state_changed', run: r.task_ids[0], run_kind: 'task', state: 'Cancelled', at_us: t, message: 'cancelled by request' });
      src.push({ kind: 'state_changed', run: r.id, run_kind: 'flow', state: 'Cancelled', at_us: t + 1, message: 'Cancelled by request' });
      await src.flush();
      await page.locator('[data-testid=flow-run-header] .badge[data-state=Cancelled]').waitFor({ timeout: 15000 });
      assert.equal(await page.getByTestId('cancel').count(), 0);
      await shot('flow-run-cancelled');
    });

    await automation_checks({ page, U, check, runs, shot, allow_http });

    await check('compare shows two runs side by side: parameters, and what was cached in one and computed in the other', async () => {
      await page.goto(`${U}/compare?a=${runs['daily-2'].id}&b=${runs['daily-3'].id}`);
      await page.getByTestId('compare-pairs').waitFor();
      await page.getByText('computed in A, cached in B').waitFor();
      await page.getByText('state differs').waitFor();
      await shot('compare');
    });

    await check('the cache and results page lists the records', async () => {
      await page.goto(`${U}/results`);
      await page.locator('[data-testid=results] tbody tr').first().waitFor();
      assert.ok(await page.locator('[data-testid=results] tbody tr').count() >= 24);
      await page.goto(`${U}/results?cache_key=clean-key-1`);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=results] tbody tr').length === 8);
      await shot('results');
    });

    await check('a client-side route loads directly (index.html fallback) and unknown pages say so', async () => {
      await page.goto(`${U}/flow-runs?state=Failed`);
      await page.getByRole('heading', { name: 'Flow runs' }).waitFor();
      await page.goto(`${U}/no-such-page`);
      await page.getByRole('heading', { name: 'Not found' }).waitFor();
    });

    await check('the pages are keyboard navigable: Tab reaches the navigation and Enter follows it', async () => {
      await page.goto(`${U}/`);
      await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
      for (let i = 0; i < 8; ++i) {
        await page.keyboard.press('Tab');
        if ((await page.evaluate(() => document.activeElement?.textContent)) === 'Flow runs') break;
      }
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Flow runs' }).waitFor();
    });

    await check('at phone width the flow-run page fits the screen', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${U}/flow-runs/${runs['daily-2'].id}`);
      await page.getByTestId('first-failures').waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
      await shot('flow-run-phone');
      await page.setViewportSize({ width: 1280, height: 800 });
    });

    await check('dark theme follows the system setting', async () => {
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.goto(`${U}/flow-runs/${runs.big.id}`);
      await page.waitForFunction(() => performance.getEntriesByName('baton:graph-drawn').length > 0);
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, 'rgb(18, 20, 25)');
      await shot('flow-run-big-dark');
      await page.emulateMedia({ colorScheme: 'light' });
    });

    if (examples) {
      const { spawn, execFile } = require('node:child_process');
      const env = { ...process.env, BATON_API_URL: `${U}/api`, BATON_HOME: path.join(dir, 'engine-home'), BATON_HEARTBEAT_SECONDS: '1' };
      delete env.BATON_API_KEY;
      await check('a real flow program reports to the server and its page shows its task runs, logs and retried task', async () => {
        await new Promise((resolve, reject) => execFile(path.join(examples, 'hello_flow'), ['--name', 'browser', '--count', '5'], { env, timeout: 120000 },
          (e, so, se) => (e ? reject(new Error(`hello_flow: ${e.message}\n${so}\n${se}`)) : resolve())));
        await page.goto(`${U}/flow-runs?flow=hello`);
        await page.locator('[data-testid=flow-runs] tbody tr').first().waitFor();
        await page.locator('[data-testid=flow-runs] tbody tr a').first().click();
        await page.locator('[data-testid=flow-run-header] .badge[data-state=Completed]').waitFor();
        assert.equal(await page.textContent('[data-testid=task-count] b'), '7'); // greet, 5 squares, flaky_sum
        await page.locator('canvas[aria-label^="Timeline of 7 rows"]').waitFor();
        await page.getByRole('tab', { name: 'Logs' }).click();
        await page.getByText('hello, browser!').waitFor();
        await page.getByText('sum of the first 5 squares: 55').waitFor();
        await shot('example-hello-flow');
      });
      await check('a real running flow updates live, and Cancel in the UI stops the program', async () => {
        const child = spawn(path.join(examples, 'slow_flow'), ['--steps', '200', '--step-ms', '150'], { env, stdio: 'ignore' });
        const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
        try {
          await page.goto(`${U}/flow-runs?flow=slow&state=Running`);
          await page.waitForFunction(() => document.querySelectorAll('[data-testid=flow-runs] tbody tr').length === 1, null, { timeout: 60000 });
          await page.locator('[data-testid=flow-runs] tbody tr a').first().click();
          await page.getByTestId('cancel').waitFor();
          await page.getByRole('tab', { name: 'Task runs' }).click();
          await page.locator('.vlist .vrow:not(.vhead)').first().waitFor();
          const done_before = await page.locator('.vlist .vrow:not(.vhead) .badge[data-state=Completed]').count();
          // Rows change state while the page is open, and keep their names.
          await page.waitForFunction((n) => document.querySelectorAll('.vlist .vrow:not(.vhead) .badge[data-state=Completed]').length > n, done_before, { timeout: 30000 });
          const names = await page.locator('.vlist .vrow:not(.vhead) > span:first-child').allTextContents();
          assert.ok(names.length > 0 && names.every((n) => n === 'step'), `task names in the live table: ${names.slice(0, 5)}`);
          await page.getByTestId('cancel').click();
          await page.locator('[data-testid=flow-run-header] .badge[data-state=Cancelled]').waitFor({ timeout: 60000 });
          await page.getByRole('tab', { name: 'Overview' }).click();
          await shot('example-slow-flow-cancelled');
          const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 30000))]);
          assert.notEqual(code, 'still running', 'slow_flow kept running after its cancellation');
        } finally { if (child.exitCode === null) child.kill('SIGKILL'); }
      });
    }

    await check('no console errors on any page', async () => {
      assert.deepEqual(problems, []);
    });

    stop_beats();
    await browser.close(); browser = null;
    await server.stop(); server = null;

    await check('with an API key the UI asks for it once per session and then shows the runs', async () => {
      const kdir = h.temp_dir('baton-ui-key-');
      const s = await h.start_server({ baton, ui_dir, dir: kdir, api_key: 'sekret-key' });
      const b = await h.launch_browser(path.join(kdir, 'chromium-profile'));
      try {
        const ks = new h.Source(s.url, 'sekret-key');
        h.flow_run_events(ks, { flow_name: 'guarded', run_name: 'guarded-1', created_us: NOW_US - MIN, state: 'Completed', end_us: NOW_US, tasks: [] });
        await ks.flush();
        const p = b.pages()[0] ?? await b.newPage();
        await p.goto(`${s.url}/flow-runs`);
        await p.getByRole('textbox', { name: 'API key' }).fill('sekret-key');
        await p.getByRole('button', { name: 'Use key' }).click();
        await p.getByRole('link', { name: 'guarded-1', exact: true }).waitFor();
        await p.screenshot({ path: path.join(out, 'api-key-after.png') });
        await p.reload();
        await p.getByRole('link', { name: 'guarded-1', exact: true }).waitFor();
        assert.equal(await p.getByRole('textbox', { name: 'API key' }).isVisible(), false);
      } finally { await b.close(); await s.stop(); fs.rmSync(kdir, { recursive: true, force: true }); }
    });
  } catch (e) {
    results.push(['setup', e]);
    console.log(`[FAIL] setup\n${e && e.stack ? e.stack : e}`);
    if (server) console.log(`server output:\n${server.log()}`);
  } finally {
    stop_beats();
    if (browser) await browser.close().catch(() => {});
    if (server) await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const failed = results.filter(([, e]) => e);
  console.log(`${results.length - failed.length} passed, ${failed.length} failed; screenshots in ${out}`);
  process.exit(failed.length ? 1 : 0);
}

main();
