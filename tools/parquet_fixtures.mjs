// Writes the Parquet reader's cross-writer fixtures into OUTDIR: the same data
// written by DuckDB (format V1 and PARQUET_VERSION V2, several codecs), by
// arrow-rs (npm parquet-wasm; v1 pages with dictionary fallback, and v2 pages)
// and by hyparquet-writer (v2 page headers). Usage: node parquet_fixtures.mjs OUTDIR [ROWS]
import { DuckDBInstance } from '@duckdb/node-api';
import * as pw from 'parquet-wasm';
import { parquetWriteFile } from 'hyparquet-writer';
import fs from 'node:fs';
import path from 'node:path';

const outDir = process.argv[2];
const rows = Number(process.argv[3] || 60000);
fs.mkdirSync(outDir, { recursive: true });
const out = (name) => path.join(outDir, name);
const lit = (s) => "'" + s.replaceAll("'", "''") + "'";

const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
// Nulls in most columns, low- and high-cardinality strings (the latter pushes
// arrow-rs past its dictionary page limit, so chunks fall back to PLAIN), and
// every Table type.
await conn.run(`CREATE TABLE t AS SELECT
  i::INTEGER AS id,
  CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 2654435761) % 1000003 END::BIGINT AS big,
  CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 1000) / 8.0 END::DOUBLE AS amount,
  (i % 5 - 2)::DOUBLE / 3 AS ratio,
  CASE WHEN i % 13 = 0 THEN NULL ELSE i % 3 = 0 END AS flag,
  CASE WHEN i % 17 = 0 THEN NULL ELSE ['N', 'Y', 'maybe'][1 + i % 3] END AS small_str,
  'row-' || (i * 7919 % ${rows}) || repeat('x', i % 23) AS big_str,
  TIMESTAMP '2024-01-01 00:00:00' + to_microseconds(i::BIGINT * 1234567) AS ts,
  CASE WHEN i % 19 = 0 THEN NULL ELSE DATE '2020-02-29' + (i % 3000)::INTEGER END AS day,
  (i % 100)::SMALLINT AS small_int,
  CASE WHEN i % 9 = 0 THEN NULL ELSE (i % 200000) * 1.25 END::FLOAT AS f32
FROM range(${rows}) r(i)`);

async function copy(file, opts) {
  await conn.run(`COPY t TO ${lit(out(file))} (FORMAT parquet${opts ? ', ' + opts : ''})`);
}
await copy('duckdb_v1.parquet', 'ROW_GROUP_SIZE 20000');
await copy('duckdb_v2.parquet', "ROW_GROUP_SIZE 20000, PARQUET_VERSION V2");
await copy('duckdb_zstd.parquet', "COMPRESSION zstd, ROW_GROUP_SIZE 25000");
await copy('duckdb_gzip.parquet', "COMPRESSION gzip");
await copy('duckdb_lz4.parquet', "COMPRESSION lz4_raw, PARQUET_VERSION V2");
await copy('duckdb_uncompressed.parquet', "COMPRESSION uncompressed");

// arrow-rs: read DuckDB's file into Arrow, write it again.
// writeParquet consumes its table, so each file reads the source again.
const srcBytes = fs.readFileSync(out('duckdb_v1.parquet'));
function arrow(file, build) {
  const src = pw.readParquet(srcBytes);
  let b = new pw.WriterPropertiesBuilder();
  b = build(b);
  fs.writeFileSync(out(file), pw.writeParquet(src, b.build()));
}
arrow('arrowrs_v1.parquet', (b) => b.setCompression(pw.Compression.SNAPPY).setDataPageSizeLimit(16384)
  .setDictionaryPageSizeLimit(65536).setMaxRowGroupSize(40000));
arrow('arrowrs_v2.parquet', (b) => b.setCompression(pw.Compression.ZSTD).setWriterVersion(pw.WriterVersion.V2)
  .setDataPageSizeLimit(32768).setMaxRowGroupSize(rows));

// hyparquet-writer: v2 page headers.
const res = await conn.runAndReadAll('SELECT id, big, amount, flag, small_str, big_str, epoch_ms(ts) AS ts_ms FROM t ORDER BY id');
const cols = res.getColumns();
const big = cols[1].map((v) => (v === null ? null : BigInt(v)));
parquetWriteFile({
  filename: out('hyparquet.parquet'),
  columnData: [
    { name: 'id', data: cols[0], type: 'INT32' },
    { name: 'big', data: big, type: 'INT64' },
    { name: 'amount', data: cols[2], type: 'DOUBLE' },
    { name: 'flag', data: cols[3], type: 'BOOLEAN' },
    { name: 'small_str', data: cols[4], type: 'STRING' },
    { name: 'big_str', data: cols[5], type: 'STRING' },
    { name: 'ts', data: cols[6].map((v) => (v === null ? null : new Date(Number(v)))), type: 'TIMESTAMP' },
  ],
  rowGroupSize: 25000,
  pageSize: 65536,
});
console.log('ok');
