// Times and sizes as people read them.

// RFC 3339 with microseconds; Date.parse keeps milliseconds.
export function parse_time(s?: string | null): number | null {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
}

export function fmt_duration(seconds?: number | null): string {
  if (seconds === undefined || seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 0) seconds = 0;
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
  if (m < 60) return `${m}m ${s}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function span_seconds(start?: string | null, end?: string | null, now = Date.now()): number | null {
  const a = parse_time(start);
  if (a === null) return null;
  const b = parse_time(end) ?? now;
  return (b - a) / 1000;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
export function fmt_time(s?: string | null): string {
  const t = parse_time(s);
  if (t === null) return '—';
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
export function fmt_clock(s?: string | null): string {
  const t = parse_time(s);
  if (t === null) return '—';
  const d = new Date(t);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function fmt_ago(s?: string | null, now = Date.now()): string {
  const t = parse_time(s);
  if (t === null) return '—';
  const sec = Math.round((now - t) / 1000);
  if (sec < 5) return 'just now';
  if (sec < 60) return `${sec}s ago`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m ago`;
  if (sec < 86400) return `${Math.floor(sec / 3600)}h ago`;
  return `${Math.floor(sec / 86400)}d ago`;
}

export function fmt_bytes(n?: number | null): string {
  if (n === undefined || n === null) return '—';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0, v = n;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; ++i; }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${u[i]}`;
}

export function fmt_count(n: number): string { return n.toLocaleString('en-US'); }

export function short_id(id?: string | null): string { return id ? id.slice(0, 8) : '—'; }

// "2026-12-07T11:25" from a <input type=datetime-local> to RFC 3339 UTC, and back.
export function local_to_rfc3339(v: string): string {
  const t = Date.parse(v);
  return Number.isFinite(t) ? new Date(t).toISOString() : '';
}
export function rfc3339_to_local(v?: string | null): string {
  const t = parse_time(v);
  if (t === null) return '';
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
