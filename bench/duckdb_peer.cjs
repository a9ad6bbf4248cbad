// The DuckDB side of bench/table_parquet.cpp: runs each workload on the same
// file, with a given number of threads, and prints one JSON line per workload
// with its best-of-N wall and CPU times and the process's peak RSS.
// usage: node duckdb_peer.cjs TOOLS_DIR FILE THREADS REPEATS OUT_DIR
'use strict';
const path = require('path');
const fs = require('fs');
const { createRequire } = require('module');
const [toolsDir, file, threads, repeats, outDir] = process.argv.slice(2);
const req = createRequire(path.join(path.resolve(toolsDir), 'package.json'));
const duckdb = req('@duckdb/node-api');

function q(p) { return `'${p.replace(/'/g, "''")}'`; }

async function main() {
  const instance = await duckdb.DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(`SET threads=${Number(threads)}`);
  await conn.run(`SET preserve_insertion_order=true`);
  const out = path.join(outDir, `duckdb_etl_${threads}.parquet`);
  const workloads = {
    // Materialize every column in DuckDB's own memory (a temp table).
    read_all: async () => {
      await conn.run(`CREATE OR REPLACE TEMP TABLE t AS SELECT * FROM read_parquet(${q(file)})`);
      await conn.run('DROP TABLE t');
    },
    sum_two: async () => {
      await conn.runAndReadAll(`SELECT sum(tip_amount), sum(total_amount) FROM read_parquet(${q(file)})`);
    },
    etl: async () => {
      await conn.run(`COPY (SELECT *, tip_amount / total_amount AS tip_fraction FROM read_parquet(${q(file)})) TO ${q(out)} (FORMAT parquet, COMPRESSION snappy)`);
    },
  };
  for (const [name, fn] of Object.entries(workloads)) {
    let best = Infinity, bestCpu = Infinity;
    for (let i = 0; i < Number(repeats); ++i) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await fn();
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const c = process.cpuUsage(c0);
      best = Math.min(best, s);
      bestCpu = Math.min(bestCpu, (c.user + c.system) / 1e6);
    }
    process.stdout.write(JSON.stringify({ workload: name, threads: Number(threads), seconds: best, cpu_seconds: bestCpu, peak_rss: process.resourceUsage().maxRSS * 1024 }) + '\n');
  }
  try { fs.unlinkSync(out); } catch (e) { /* not written */ }
}
main().catch((e) => { console.error(e && e.stack ? e.stack : String(e)); process.exit(1); });
