import { useState } from 'preact/hooks';
import { list_results } from '../lib/api';
import { set_query } from '../lib/router';
import { fmt_bytes, short_id } from '../lib/format';
import { use_async, use_title } from '../components/hooks';

// Result and cache records across runs. Clearing one key needs a server route
// the API does not have yet; the page says so instead of pretending.
export function Results({ query }: { query: URLSearchParams }) {
  use_title('Cache & results');
  const cache_key = query.get('cache_key') ?? '', task = query.get('task') ?? '';
  const [cursor, set_cursor] = useState<string | null>(null);
  const [draft, set_draft] = useState({ cache_key, task });
  const page = use_async(() => list_results({ cache_key: cache_key || undefined, task: task || undefined, limit: 200, cursor: cursor ?? undefined }), [cache_key, task, cursor]);
  return (
    <div>
      <h1>Cache and results</h1>
      <form class="filters panel" onSubmit={(e) => { e.preventDefault(); set_cursor(null); set_query(draft, false); }}>
        <label>Cache key<input value={draft.cache_key} onInput={(e) => set_draft({ ...draft, cache_key: (e.target as HTMLInputElement).value })} /></label>
        <label>Task<input value={draft.task} onInput={(e) => set_draft({ ...draft, task: (e.target as HTMLInputElement).value })} /></label>
        <button class="primary" type="submit">Filter</button>
      </form>
      {page.error && <div class="banner" role="alert">{page.error}</div>}
      <div class="panel">
        {!page.data ? <p class="muted">Loading…</p> : page.data.results.length === 0 ? <p class="muted">No records.</p> : (
          <div class="scroll-x"><table data-testid="results"><thead><tr><th>Cache key</th><th>Task run</th><th>Flow run</th><th>Size</th><th>Serializer</th><th>Location</th><th>From cache</th></tr></thead>
            <tbody>{page.data.results.map((r, i) => (
              <tr key={i}>
                <td class="mono">{r.cache_key ? <a href={`/results?cache_key=${encodeURIComponent(r.cache_key)}`}>{r.cache_key.length > 24 ? r.cache_key.slice(0, 24) + '…' : r.cache_key}</a> : '—'}</td>
                <td>{r.task_run ? <a href={`/task-runs/${r.task_run}`}>{short_id(r.task_run)}</a> : '—'}</td>
                <td>{r.flow_run ? <a href={`/flow-runs/${r.flow_run}`}>{short_id(r.flow_run)}</a> : '—'}</td>
                <td>{fmt_bytes(r.size)}</td><td>{r.serializer}</td><td class="mono msg">{r.location}</td><td>{r.from_cache ? 'yes' : 'no'}</td>
              </tr>))}</tbody></table></div>)}
        <div class="row" style={{ marginTop: '.5rem' }}>
          {cursor && <button type="button" onClick={() => set_cursor(null)}>First page</button>}
          {page.data?.next_cursor && <button type="button" onClick={() => set_cursor(page.data!.next_cursor)}>Next page →</button>}
        </div>
        <p class="muted" style={{ fontSize: '.85rem' }}>Clearing a cache key from here waits for a server route to delete it; the API has none yet.</p>
      </div>
    </div>
  );
}
