// The data of table and link artifacts, read defensively: an artifact is
// written by user code, so a missing or odd field must not break the page.

export interface TableData { columns: string[]; rows: string[][]; total: number; truncated: boolean }
const MAX_ROWS = 1000;

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

// {columns, rows: [[...]]}, or rows of objects (columns from their keys).
export function table_of(data: unknown): TableData | null {
  if (!data || typeof data !== 'object') return null;
  const d = data as { columns?: unknown; rows?: unknown };
  const rows_in = Array.isArray(d.rows) ? d.rows : Array.isArray(data) ? (data as unknown[]) : null;
  if (!rows_in) return null;
  let columns: string[] = Array.isArray(d.columns) ? d.columns.map(cell) : [];
  if (!columns.length) {
    const keys = new Set<string>();
    for (const r of rows_in.slice(0, MAX_ROWS)) if (r && typeof r === 'object' && !Array.isArray(r)) Object.keys(r).forEach((k) => keys.add(k));
    columns = [...keys];
    if (!columns.length) columns = (Array.isArray(rows_in[0]) ? (rows_in[0] as unknown[]) : []).map((_, i) => `${i + 1}`);
  }
  const rows = rows_in.slice(0, MAX_ROWS).map((r) => Array.isArray(r) ? columns.map((_, i) => cell(r[i]))
    : r && typeof r === 'object' ? columns.map((c) => cell((r as Record<string, unknown>)[c])) : [cell(r)]);
  return { columns, rows, total: rows_in.length, truncated: rows_in.length > MAX_ROWS };
}

export function link_of(data: unknown): { url: string; text: string } | null {
  if (typeof data === 'string') return { url: data, text: '' };
  if (!data || typeof data !== 'object') return null;
  const d = data as { url?: unknown; text?: unknown };
  return typeof d.url === 'string' ? { url: d.url, text: typeof d.text === 'string' ? d.text : '' } : null;
}
