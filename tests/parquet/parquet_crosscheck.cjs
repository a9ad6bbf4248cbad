// Reads Parquet files written by baton with the reference readers and prints
// what they saw, one JSON object per file on its own line:
//   {"file", "duckdb": {"columns": [[name, type]...], "rows": [[...]...]},
//    "arrow": {"rows": N, "equal_to_duckdb": bool} }
// arrow-rs (parquet-wasm) decodes the file and writes it back out; DuckDB then
// compares that copy with the original row for row (EXCEPT ALL both ways), so
// a value arrow-rs misread shows up as a difference.
// Values are printed losslessly: BIGINT and timestamps (as epoch µs) as
// strings, dates as days since 1970-01-01, NaN/inf as the strings "NaN",
// "Infinity", "-Infinity".
// usage: node parquet_crosscheck.cjs TOOLS_DIR FILE...
'use strict';
const path = require('path');
const fs = require('fs');
const { createRequire } = require('module');

const [toolsDir, ...files] = process.argv.slice(2);
if (!toolsDir || files.length === 0) {
  console.error('usage: node parquet_crosscheck.cjs TOOLS_DIR FILE...');
  process.exit(2);
}
const req = createRequire(path.join(path.resolve(toolsDir), 'package.json'));
let duckdb, wasm;
try {
  duckdb = req('@duckdb/node-api');
  wasm = req('parquet-wasm');
} catch (e) {
  console.error(`cannot load the reference readers from ${toolsDir}/node_modules (run: cd tools && npm ci): ${e.message}`);
  process.exit(3);
}

function quote(p) { return `'${p.replace(/'/g, "''")}'`; }
function ident(n) { return `"${n.replace(/"/g, '""')}"`; }

function jsValue(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (v === Infinity) return 'Infinity';
    if (v === -Infinity) return '-Infinity';
    return v;
  }
  return v;
}

async function main() {
  const instance = await duckdb.DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run('SET threads=1');
  for (const file of files) {
    const out = { file };
    const desc = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quote(file)})`);
    const columns = desc.getRowObjectsJS().map((r) => [r.column_name, r.column_type]);
    const exprs = columns.map(([name, type]) => {
      const c = ident(name);
      if (type.startsWith('TIMESTAMP')) return `CAST(epoch_us(${c}) AS VARCHAR)`;
      if (type === 'DATE') return `CAST(${c} - DATE '1970-01-01' AS INTEGER)`;
      return c;
    });
    const sql = `SELECT ${exprs.join(', ') || '1'} FROM read_parquet(${quote(file)})`;
    const rows = (await conn.runAndReadAll(sql)).getRowsJS().map((r) => r.map(jsValue));
    out.duckdb = { columns, rows };

    const bytes = new Uint8Array(fs.readFileSync(file));
    const table = wasm.readParquet(bytes);
    const copy = wasm.writeParquet(table);
    const copyPath = `${file}.arrow-rs.parquet`;
    fs.writeFileSync(copyPath, copy);
    const a = `read_parquet(${quote(file)})`, b = `read_parquet(${quote(copyPath)})`;
    const cnt = (await conn.runAndReadAll(`SELECT count(*) FROM ${b}`)).getRowsJS()[0][0];
    let equal = columns.length === 0;
    if (!equal) {
      const d1 = (await conn.runAndReadAll(`SELECT count(*) FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b})`)).getRowsJS()[0][0];
      const d2 = (await conn.runAndReadAll(`SELECT count(*) FROM (SELECT * FROM ${b} EXCEPT ALL SELECT * FROM ${a})`)).getRowsJS()[0][0];
      const ta = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${b}`)).getRowObjectsJS().map((r) => [r.column_name, r.column_type]);
      equal = d1 === 0n && d2 === 0n && JSON.stringify(ta) === JSON.stringify(columns);
    }
    out.arrow = { rows: Number(cnt), equal_to_duckdb: equal };
    fs.unlinkSync(copyPath);
    process.stdout.write(JSON.stringify(out) + '\n');
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
