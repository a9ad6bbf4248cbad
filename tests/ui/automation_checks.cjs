'use strict';
// The browser checks of the automation pages (issue 16): work pools and
// workers, deployments with schedules, the Run form and its 422 field error,
// Pause/Resume, Retry of a finished deployment run, concurrency limits and
// artifacts. Everything is created through the server's real API first.
const assert = require('node:assert/strict');

async function api(U, method, path, body) {
  const res = await fetch(`${U}/api${path}`, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* reported below */ }
  return { status: res.status, json, text };
}
async function ok(U, method, path, body) {
  const r = await api(U, method, path, body);
  if (r.status >= 300) throw new Error(`${method} /api${path}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  return r.json;
}

const REPORT_MD = [
  '# Taxi report',
  '',
  'Rows per month, **checked** against [the TLC data](https://example.org/tlc).',
  '',
  '| month | rows |',
  '|:--|--:|',
  '| 2024-01 | 1,204 |',
  '| 2024-02 | 998 |',
  '',
  '<script>window.__artifact_xss = 1</script><img src=x onerror="window.__artifact_xss = 2">',
  '[bad link](javascript:window.__artifact_xss=3)',
].join('\n');

// Returns false (and says why) when the server has no automation routes yet.
async function automation_checks({ page, U, check, runs, shot, allow_http }) {
  const probe = await api(U, 'GET', '/work-pools');
  if (probe.status === 404) {
    console.log('[SKIP] the automation pages: this server has no /api/work-pools yet (the deployments issue is not merged)');
    return false;
  }
  // Data through the API: two pools, a worker, deployments with schedules, a tag limit with a holder, artifacts.
  await ok(U, 'PUT', '/work-pools/ui-pool', { name: 'ui-pool', concurrency_limit: 3, description: 'the browser test pool' });
  await ok(U, 'PUT', '/work-pools/batch-pool', { name: 'batch-pool' });
  await ok(U, 'POST', '/workers/heartbeat', { worker_id: 'ui-worker-1', work_pool: 'ui-pool', worker_name: 'ui-worker-1', hostname: 'ui-test-host', pid: 777, runs: [] });
  await ok(U, 'PUT', '/deployments/nightly-taxi', {
    flow_name: 'taxi-etl', command: ['/usr/bin/true'], work_pool: 'ui-pool', description: 'the taxi ETL, nightly',
    parameters: { month: '2024-01', rows: 1000 },
    parameter_specs: [{ name: 'month', type: 'std::string', required: true }, { name: 'rows', type: 'int64', required: false, default: '1000' }],
    tags: ['taxi'],
    schedules: [{ kind: 'cron', cron: '0 3 * * *', timezone: 'Europe/Berlin' }, { kind: 'interval', interval_seconds: 900, active: false }],
  });
  await ok(U, 'PUT', '/deployments/adhoc-report', { flow_name: 'report', command: ['/usr/bin/true'], work_pool: 'batch-pool', parameters: { day: 3 }, parameter_specs: [{ name: 'day', type: 'int', required: true }] });
  await ok(U, 'PUT', '/concurrency-limits/ui-db', { limit: 2 });
  const holder = runs['daily-1'].task_ids[0];
  const lease = await ok(U, 'POST', '/concurrency-limits/acquire', { holder, tags: ['ui-db'], lease_seconds: 600 });
  assert.equal(lease.granted, true, 'acquire a slot of ui-db');
  const run_id = runs['daily-0'].id;
  await ok(U, 'POST', '/artifacts', { key: 'taxi-report', type: 'markdown', data: 'first version', flow_run: run_id });
  await ok(U, 'POST', '/artifacts', { key: 'taxi-report', type: 'markdown', data: REPORT_MD, description: 'monthly rows', flow_run: run_id });
  await ok(U, 'POST', '/artifacts', { key: 'taxi-rows', type: 'table', data: { columns: ['month', 'rows'], rows: [['2024-03', 1500], ['2024-04', 1611]] }, flow_run: run_id });
  await ok(U, 'POST', '/artifacts', { key: 'taxi-dashboard', type: 'link', data: { url: 'https://example.org/dash', text: 'the dashboard' }, flow_run: run_id });

  await check('the work pools page shows a pool with its concurrency, workers online and runs; the pool page its worker', async () => {
    await page.goto(`${U}/work-pools`);
    const row = page.locator('[data-testid=work-pools] tr[data-pool=ui-pool]');
    await row.waitFor();
    assert.match(await row.textContent(), /3 at once/);
    assert.equal(await row.locator('[data-testid=workers-online]').textContent(), '1');
    await shot('work-pools');
    await row.getByRole('link', { name: 'ui-pool' }).click();
    await page.getByRole('heading', { name: 'ui-pool' }).waitFor();
    const w = page.locator('[data-testid=workers] tr[data-worker=ui-worker-1]');
    await w.waitFor();
    assert.match(await w.textContent(), /ui-worker-1.*online.*ui-test-host/);
    await page.getByRole('link', { name: 'nightly-taxi' }).waitFor();
    await shot('work-pool');
  });

  await check('the deployments page lists a deployment with its flow, pool, schedules in words and next runs', async () => {
    await page.goto(`${U}/deployments`);
    const row = page.locator('[data-testid=deployments] tr[data-deployment=nightly-taxi]');
    await row.waitFor();
    assert.equal(await row.locator('[data-testid=schedules]').textContent(), 'cron 0 3 * * * (Europe/Berlin); every 15 min [paused]');
    assert.match(await row.textContent(), /taxi-etl.*ui-pool/);
    assert.equal(await row.locator('[data-testid=paused-badge]').textContent(), '▶Active');
    assert.match(await row.locator('td.mono').textContent(), /^\d{4}-\d\d-\d\d \d\d:00:00/, 'the next run of a 03:00 cron is on the hour');
    await shot('deployments');
  });

  await check("a deployment's Run form shows the server's 422 next to the bad field, then creates a run with the typed parameters", async () => {
    await page.goto(`${U}/deployments/nightly-taxi`);
    await page.getByRole('heading', { name: 'nightly-taxi' }).waitFor();
    assert.equal(await page.locator('[data-testid=schedule-table] tbody tr').count(), 2);
    assert.equal(await page.getByLabel(/^month/).inputValue(), '2024-01', 'prefilled from the defaults');
    allow_http(422, '/api/deployments/nightly-taxi/runs');
    await page.getByLabel(/^rows/).fill('lots');
    await page.getByTestId('run-submit').click();
    const err = page.locator('#param-rows-error');
    await err.waitFor();
    assert.match(await err.textContent(), /rows/);
    assert.equal(await page.getByLabel(/^rows/).getAttribute('aria-invalid'), 'true');
    await shot('deployment-run-422');
    await page.getByLabel(/^rows/).fill('5');
    await page.getByLabel(/^month/).fill('2024-03');
    await page.getByTestId('run-submit').click();
    await page.getByTestId('run-created').waitFor();
    const href = await page.getByTestId('run-created').locator('a').getAttribute('href');
    const created = await ok(U, 'GET', href.replace(/^\/flow-runs\//, '/flow-runs/'));
    assert.deepEqual({ deployment: created.deployment, month: created.parameters.month, rows: created.parameters.rows }, { deployment: 'nightly-taxi', month: '2024-03', rows: 5 });
    await page.locator(`[data-testid=upcoming-runs] a[href="${href}"]`).waitFor();
    await shot('deployment');
  });

  await check('Pause and Resume change the deployment on the server and on the page', async () => {
    await page.goto(`${U}/deployments/nightly-taxi`);
    await page.getByTestId('pause-toggle').click();
    await page.locator('[data-testid=deployment-header] [data-testid=paused-badge]', { hasText: 'Paused' }).waitFor();
    assert.equal((await ok(U, 'GET', '/deployments/nightly-taxi')).paused, true);
    assert.equal(await page.getByTestId('pause-toggle').textContent(), 'Resume');
    await page.getByTestId('pause-toggle').click();
    await page.locator('[data-testid=deployment-header] [data-testid=paused-badge]', { hasText: 'Active' }).waitFor();
    assert.equal((await ok(U, 'GET', '/deployments/nightly-taxi')).paused, false);
  });

  await check('a finished deployment run shows its deployment, pool and run count, and Retry schedules it again', async () => {
    const r = await ok(U, 'POST', '/deployments/adhoc-report/runs', { parameters: { day: 4 } });
    const claimed = await ok(U, 'POST', '/work-pools/batch-pool/claim', { worker_id: 'ui-worker-2', worker_name: 'ui-worker-2', hostname: 'ui-test-host', limit: 10 });
    assert.ok(claimed.runs.some((c) => c.id === r.id), 'the worker claimed the run');
    const after = await ok(U, 'POST', `/flow-runs/${r.id}/exit`, { worker_id: 'ui-worker-2', exit_code: 1, message: 'exited with 1 before reporting a state' });
    assert.ok(['Crashed', 'Failed'].includes(after.state), `after an exit without a final state the run is ${after.state}`);
    await page.goto(`${U}/flow-runs/${r.id}`);
    await page.getByTestId('run-deployment').getByRole('link', { name: 'adhoc-report' }).waitFor();
    assert.match(await page.textContent('[data-testid=flow-run-header]'), /batch-pool/);
    assert.equal(await page.textContent('[data-testid=run-count]'), '1');
    await page.getByTestId('retry').click();
    await page.locator('[data-testid=flow-run-header] .badge[data-state=Scheduled]').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=run-count]')?.textContent === '2');
    assert.equal((await ok(U, 'GET', `/flow-runs/${r.id}`)).run_count, 2);
    await shot('flow-run-retried');
  });

  await check('the concurrency limits page shows a tag, its limit, its active slots and the holder', async () => {
    await page.goto(`${U}/concurrency-limits`);
    const row = page.locator('[data-testid=concurrency-limits] tr[data-tag=ui-db]');
    await row.waitFor();
    assert.equal((await row.locator('[data-testid=active-slots]').textContent()).trim(), '1');
    await row.locator(`a[href="/task-runs/${holder}"]`).waitFor();
    await shot('concurrency-limits');
    await ok(U, 'POST', '/concurrency-limits/release', { lease_id: lease.lease_id });
  });

  await check("a flow run's Artifacts tab renders markdown safely: a table as a table, a link as a link, HTML as text", async () => {
    await page.goto(`${U}/flow-runs/${run_id}?tab=artifacts`);
    const md = page.locator('[data-testid=artifact][data-key=taxi-report]');
    await md.waitFor();
    await md.getByRole('heading', { name: 'Taxi report' }).waitFor();
    assert.deepEqual(await md.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent))), [['2024-01', '1,204'], ['2024-02', '998']]);
    assert.equal(await md.getByRole('link', { name: 'the TLC data' }).getAttribute('href'), 'https://example.org/tlc');
    assert.ok((await md.textContent()).includes('<script>window.__artifact_xss = 1</script><img src=x onerror="window.__artifact_xss = 2">'), 'the HTML is shown as text');
    assert.equal(await md.locator('script, img').count(), 0);
    assert.equal(await md.getByRole('link', { name: 'bad link' }).count(), 0);
    assert.equal(await page.evaluate(() => window.__artifact_xss), undefined);
    const table = page.locator('[data-testid=artifact][data-key=taxi-rows] table');
    assert.deepEqual(await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent))), [['2024-03', '1500'], ['2024-04', '1611']]);
    assert.equal(await page.locator('[data-testid=artifact][data-key=taxi-dashboard]').getByRole('link', { name: 'the dashboard' }).getAttribute('href'), 'https://example.org/dash');
    await shot('flow-run-artifacts', true);
  });

  await check('the artifacts page lists the latest version of each key, and a key its versions', async () => {
    await page.goto(`${U}/artifacts`);
    const row = page.locator('[data-testid=artifacts] tr[data-key=taxi-report]');
    await row.waitFor();
    assert.match(await row.textContent(), /markdown.*v2.*monthly rows/);
    assert.equal(await page.locator('[data-testid=artifacts] tbody tr').count(), 3);
    await shot('artifacts');
    await row.getByRole('link', { name: 'taxi-report' }).click();
    await page.waitForURL(/key=taxi-report/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=artifact]').length === 2);
    await page.getByText('first version').waitFor();
  });
  await check("at phone width a deployment's page fits the screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${U}/deployments/nightly-taxi`);
      await page.getByTestId('run-form').waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
      await shot('deployment-phone', true);
    } finally { await page.setViewportSize({ width: 1280, height: 800 }); }
  });
  return true;
}

module.exports = { automation_checks };
