import { useState } from 'preact/hooks';
import { list_artifacts } from '../../lib/api';
import { set_query } from '../../lib/router';
import { fmt_time, short_id } from '../../lib/format';
import { use_async, use_title } from '../../components/hooks';
import { ArtifactView } from '../../components/ArtifactView';
import type { Artifact } from '../../lib/types';

// The latest version of each key, newest first; ?key=K shows every version of K.
export function Artifacts({ query }: { query: URLSearchParams }) {
  const key = query.get('key') ?? '';
  use_title(key ? `Artifact ${key}` : 'Artifacts');
  const [cursor, set_cursor] = useState<string | null>(null);
  const page = use_async(() => list_artifacts({ key: key || undefined, limit: key ? 50 : 200, cursor: cursor ?? undefined }), [key, cursor]);
  const list = page.data?.artifacts;
  return (
    <div>
      <h1>{key ? <>Artifact <span class="mono">{key}</span></> : 'Artifacts'}</h1>
      {key && <p><a href="/artifacts" onClick={(e) => { e.preventDefault(); set_cursor(null); set_query({ key: null }, false); }}>← All keys</a></p>}
      {page.error && <div class="banner" role="alert">{page.error}</div>}
      {!list ? <p class="muted">Loading…</p> : list.length === 0 ? <div class="panel"><p class="muted">No artifacts. A task creates them with <code>baton::create_markdown_artifact(key, md)</code>, <code>create_table_artifact</code> or <code>create_link_artifact</code>.</p></div>
        : key ? list.map((a) => <ArtifactPanel key={a.id ?? a.version} a={a} show_key={false} />) : (
          <div class="panel"><div class="scroll-x"><table data-testid="artifacts">
            <thead><tr><th>Key</th><th>Type</th><th>Latest version</th><th>Description</th><th>Flow run</th><th>Created</th></tr></thead>
            <tbody>{list.map((a) => (
              <tr key={a.key} data-key={a.key}>
                <td><a href={`/artifacts?key=${encodeURIComponent(a.key)}`} class="mono">{a.key}</a></td>
                <td>{a.type}</td>
                <td>v{a.version ?? 1}{(a.version ?? 1) > 1 && <a href={`/artifacts?key=${encodeURIComponent(a.key)}`} style={{ marginLeft: '.4rem' }}>all {a.version}</a>}</td>
                <td class="msg">{a.description}</td>
                <td>{a.flow_run ? <a href={`/flow-runs/${a.flow_run}?tab=artifacts`}>{short_id(a.flow_run)}</a> : '—'}</td>
                <td>{fmt_time(a.created)}</td>
              </tr>))}</tbody></table></div></div>)}
      <div class="row">
        {cursor && <button type="button" onClick={() => set_cursor(null)}>First page</button>}
        {page.data?.next_cursor && <button type="button" onClick={() => set_cursor(page.data!.next_cursor)}>Next page →</button>}
      </div>
    </div>
  );
}

export function ArtifactPanel({ a, show_key = true, earlier = 0 }: { a: Artifact; show_key?: boolean; earlier?: number }) {
  return (
    <article class="panel artifact" data-testid="artifact" data-key={a.key} aria-label={`Artifact ${a.key} version ${a.version ?? 1}`}>
      <div class="row spread">
        <div class="row">
          {show_key && <a href={`/artifacts?key=${encodeURIComponent(a.key)}`} class="mono"><b>{a.key}</b></a>}
          <span class="tag">v{a.version ?? 1}</span><span class="muted">{a.type}</span>
          {a.task_run && <a href={`/task-runs/${a.task_run}`}>task run {short_id(a.task_run)}</a>}
          {!show_key && a.flow_run && <a href={`/flow-runs/${a.flow_run}?tab=artifacts`}>flow run {short_id(a.flow_run)}</a>}
          {earlier > 0 && <a href={`/artifacts?key=${encodeURIComponent(a.key)}`} class="muted">{earlier} earlier {earlier === 1 ? 'version' : 'versions'} from this run</a>}
        </div>
        <span class="muted">{fmt_time(a.created)}</span>
      </div>
      {a.description && <p class="muted">{a.description}</p>}
      <ArtifactView a={a} />
    </article>
  );
}

// The flow-run page's Artifacts tab: the run's artifacts, newest first.
export function FlowRunArtifacts({ flow_run }: { flow_run: string }) {
  const [cursor, set_cursor] = useState<string | null>(null);
  const page = use_async(() => list_artifacts({ flow_run, limit: 50, cursor: cursor ?? undefined }), [flow_run, cursor]);
  return (
    <div data-testid="flow-run-artifacts">
      {page.error && <p class="error">{page.error}</p>}
      {!page.data ? <p class="muted">Loading…</p> : page.data.artifacts.length === 0
        ? <div class="panel"><p class="muted">This run created no artifacts.</p></div>
        : latest_per_key(page.data.artifacts).map(({ a, earlier }) => <ArtifactPanel key={a.id ?? `${a.key}-${a.version}`} a={a} earlier={earlier} />)}
      {page.data?.next_cursor && <button type="button" onClick={() => set_cursor(page.data!.next_cursor)}>Next page →</button>}
    </div>
  );
}

// A run that wrote one key several times shows its latest version, and says
// how many came before (the key's page has them all). Order: as the server sent them.
function latest_per_key(list: Artifact[]): { a: Artifact; earlier: number }[] {
  const by = new Map<string, { a: Artifact; earlier: number }>();
  for (const a of list) {
    const cur = by.get(a.key);
    if (!cur) by.set(a.key, { a, earlier: 0 });
    else if ((a.version ?? 0) > (cur.a.version ?? 0)) by.set(a.key, { a, earlier: cur.earlier + 1 });
    else cur.earlier++;
  }
  return [...by.values()];
}
