// Dumps a Parquet file as DuckDB reads it, in the canonical text form baton's
// reader tests compare against:
//   COLUMN <duckdb type> <name>
//   one line per row: the value, or \N for null
// Values: integers and dates (days since epoch) in decimal; timestamps as
// microseconds since the epoch; floats and decimals as DOUBLE text (shortest
// round trip); booleans true/false; strings and blobs as uppercase hex of the
// bytes. Usage: node parquet_dump.mjs OUTDIR FILE...: writes OUTDIR/<file
// name>.dump, or OUTDIR/<file name>.err holding DuckDB's error when it cannot
// read the file.
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';

const [outDir, ...files] = process.argv.slice(2);
const q = (s) => '"' + s.replaceAll('"', '""') + '"';
const lit = (s) => "'" + s.replaceAll("'", "''") + "'";

function expr(name, type) {
  const c = q(name);
  if (type === 'BOOLEAN') return `CASE WHEN ${c} IS NULL THEN NULL WHEN ${c} THEN 'true' ELSE 'false' END`;
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(type)) return `${c}::VARCHAR`;
  if (type === 'FLOAT' || type === 'DOUBLE' || type.startsWith('DECIMAL')) return `${c}::DOUBLE::VARCHAR`;
  if (type === 'DATE') return `(${c} - DATE '1970-01-01')::VARCHAR`;
  if (type === 'TIMESTAMP_NS') return `((epoch_ns(${c}) - (((epoch_ns(${c}) % 1000) + 1000) % 1000)) // 1000)::VARCHAR`;
  if (type.startsWith('TIMESTAMP')) return `epoch_us(${c})::VARCHAR`;
  if (type === 'VARCHAR' || type === 'BLOB') return `upper(hex(${c}))`;
  if (type === 'UUID') return `upper(replace(${c}::VARCHAR, '-', ''))`;
  if (type.startsWith('TIME')) return `(extract('epoch' FROM ${c}) * 1000000)::BIGINT::VARCHAR`;
  return `${c}::VARCHAR`;
}

const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
for (const file of files) {
  const base = path.join(outDir, path.basename(file));
  try {
    const desc = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${lit(file)})`);
    const cols = desc.getRowObjects().map((r) => ({ name: r.column_name, type: r.column_type }));
    const sql = `SELECT ${cols.map((c) => expr(c.name, c.type)).join(', ')} FROM read_parquet(${lit(file)})`;
    const res = await conn.runAndReadAll(sql);
    const data = res.getColumns();
    const out = [];
    cols.forEach((c, i) => {
      out.push(`COLUMN ${c.type.replaceAll(' ', '_')} ${c.name}`);
      for (const v of data[i] || []) out.push(v === null ? '\\N' : String(v));
    });
    fs.writeFileSync(base + '.dump', out.join('\n') + '\n');
  } catch (e) {
    fs.writeFileSync(base + '.err', String(e.message || e).split('\n')[0] + '\n');
  }
}
