import { Markdown } from './Markdown';
import { safe_url } from '../lib/markdown';
import { table_of, link_of } from '../lib/artifacts';
import type { Artifact } from '../lib/types';

// One artifact's content: markdown rendered (safely), a table as a table, a link as a link.
export function ArtifactView({ a }: { a: Artifact }) {
  if (a.type === 'markdown') return <Markdown text={typeof a.data === 'string' ? a.data : JSON.stringify(a.data)} />;
  if (a.type === 'link') {
    const l = link_of(a.data);
    const href = l ? safe_url(l.url) : null;
    if (!l) return <p class="error">This link artifact has no url.</p>;
    return href ? <p><a href={href} target="_blank" rel="noopener noreferrer nofollow" data-testid="artifact-link">{l.text || l.url}</a></p>
      : <p><span class="mono">{l.url}</span> <span class="muted">(not a web address; shown as text)</span></p>;
  }
  if (a.type === 'table') {
    const t = table_of(a.data);
    if (!t) return <p class="error">This table artifact is not {'{columns, rows}'}.</p>;
    return (
      <div class="scroll-x"><table class="artifact-table">
        <thead><tr>{t.columns.map((c, i) => <th key={i}>{c}</th>)}</tr></thead>
        <tbody>{t.rows.map((r, i) => <tr key={i}>{r.map((c, j) => <td key={j}>{c}</td>)}</tr>)}</tbody>
      </table>{t.truncated && <p class="muted">The first {t.rows.length.toLocaleString('en-US')} of {t.total.toLocaleString('en-US')} rows.</p>}</div>);
  }
  return <pre>{JSON.stringify(a.data, null, 2)}</pre>;
}
