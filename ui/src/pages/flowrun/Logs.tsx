import { useEffect, useRef, useState } from 'preact/hooks';
import { flow_run_logs } from '../../lib/api';
import { fmt_clock, fmt_count, short_id } from '../../lib/format';
import { VirtualList } from '../../components/VirtualList';
import type { LogLevel, LogLine } from '../../lib/types';

// Logs of a flow run: filtered by the server (level and above, task run, text),
// paged as the list scrolls, live lines appended, and downloadable as text.
const LEVELS: LogLevel[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'];
const PAGE = 1000;

export interface LogsHandle { append(l: LogLine): void }

export function Logs({ flow_run, register, task_run: initial_task }: { flow_run: string; register: (h: LogsHandle | null) => void; task_run?: string }) {
  const [level, set_level] = useState<LogLevel | ''>('');
  const [task_run, set_task_run] = useState(initial_task ?? '');
  const [q, set_q] = useState('');
  const [lines, set_lines] = useState<LogLine[]>([]);
  const [done, set_done] = useState(false);
  const [error, set_error] = useState<string | null>(null);
  const [follow, set_follow] = useState(true);
  const [appended, set_appended] = useState(0);
  const [download, set_download] = useState<{ url: string; name: string } | null>(null);
  const [dl_busy, set_dl_busy] = useState(false);
  const cursor = useRef<string | null>(null);
  const busy = useRef(false);
  const gen = useRef(0);

  const load_more = async () => {
    if (busy.current || done) return;
    busy.current = true;
    const g = gen.current;
    try {
      const p = await flow_run_logs(flow_run, { level: level || undefined, task_run: task_run || undefined, q: q || undefined, limit: PAGE, cursor: cursor.current ?? undefined });
      if (g !== gen.current) return;
      cursor.current = p.next_cursor;
      set_lines((l) => l.concat(p.logs));
      if (!p.next_cursor) set_done(true);
      set_error(null);
    } catch (e) { if (g === gen.current) set_error(e instanceof Error ? e.message : String(e)); }
    finally { if (g === gen.current) busy.current = false; }
  };
  useEffect(() => { ++gen.current; busy.current = false; cursor.current = null; set_lines([]); set_done(false); }, [level, task_run, q]);
  useEffect(() => { if (lines.length === 0 && !done) void load_more(); }, [lines.length, done, level, task_run, q]);
  useEffect(() => {
    register({
      append(l) {
        // Live lines join only once the pages are read (else the next page has them).
        if (!done) return;
        if (level && LEVELS.indexOf(l.level) < LEVELS.indexOf(level)) return;
        if (task_run && !(l.task_run ?? '').startsWith(task_run)) return;
        if (q && !l.message.includes(q)) return;
        set_lines((x) => x.concat(l));
        set_appended((n) => n + 1);
      },
    });
    return () => register(null);
  }, [done, level, task_run, q]);
  useEffect(() => () => { if (download) URL.revokeObjectURL(download.url); }, [download]);

  const prepare_download = async () => {
    set_dl_busy(true);
    try {
      const parts: string[] = [];
      let c: string | null = null;
      do {
        const p = await flow_run_logs(flow_run, { level: level || undefined, task_run: task_run || undefined, q: q || undefined, limit: PAGE, cursor: c ?? undefined });
        for (const l of p.logs) parts.push(`${l.time} ${l.level.padEnd(8)} ${l.task_run ? short_id(l.task_run) : 'flow    '} ${l.message}\n`);
        c = p.next_cursor;
      } while (c);
      const url = URL.createObjectURL(new Blob(parts, { type: 'text/plain' }));
      set_download({ url, name: `baton-${short_id(flow_run)}-logs.txt` });
    } catch (e) { set_error(e instanceof Error ? e.message : String(e)); }
    finally { set_dl_busy(false); }
  };

  return (
    <div>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Log filters">
        <label>Level (and above)<select value={level} onChange={(e) => set_level((e.target as HTMLSelectElement).value as LogLevel | '')}>
          <option value="">all</option>{LEVELS.map((l) => <option key={l} value={l}>{l}</option>)}</select></label>
        <label>Task run id<input value={task_run} onChange={(e) => set_task_run((e.target as HTMLInputElement).value.trim())} placeholder="id or prefix" /></label>
        <label>Text<input value={q} onChange={(e) => set_q((e.target as HTMLInputElement).value)} placeholder="substring" /></label>
        <label class="row" style={{ flexDirection: 'row' }}><input type="checkbox" checked={follow} onChange={(e) => set_follow((e.target as HTMLInputElement).checked)} />follow</label>
        {download ? <a href={download.url} download={download.name} data-testid="log-download">Save {download.name}</a>
          : <button type="button" onClick={() => void prepare_download()} disabled={dl_busy}>{dl_busy ? 'Preparing…' : 'Download'}</button>}
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      <p class="muted" aria-live="polite" data-testid="log-count">{fmt_count(lines.length)} lines{done ? '' : ' loaded · scroll for more'}</p>
      {done && lines.length === 0 ? <p class="muted">No log lines.</p> : (
        <VirtualList items={lines} row_height={22} height={420} label="Log lines" columns="100px 72px 72px 1fr"
          row_key={(_, i) => String(i)} on_near_end={() => void load_more()}
          scroll_to={follow && appended > 0 ? lines.length - 1 : null}
          render={(l) => <>
            <span class="logline muted">{fmt_clock(l.time)}</span>
            <span class={`logline lv-${l.level}`}>{l.level}</span>
            <span class="logline">{l.task_run ? <a href={`/task-runs/${l.task_run}`}>{short_id(l.task_run)}</a> : <span class="muted">flow</span>}</span>
            <span class={`logline lv-${l.level}`} title={l.message}>{l.message}</span>
          </>} />)}
    </div>
  );
}
