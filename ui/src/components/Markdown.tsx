import type { ComponentChildren } from 'preact';
import { useMemo } from 'preact/hooks';
import { parse_markdown, type Block, type Inline } from '../lib/markdown';

// Markdown as elements (see lib/markdown.ts): no HTML string reaches the DOM.
export function Markdown({ text }: { text: string }) {
  const blocks = useMemo(() => parse_markdown(text), [text]);
  return <div class="md">{blocks.map(block)}</div>;
}

function inlines(c: Inline[]): ComponentChildren { return c.map(inline); }

function inline(x: Inline, i: number): ComponentChildren {
  switch (x.t) {
    case 'text': return x.v;
    case 'code': return <code key={i}>{x.v}</code>;
    case 'br': return <br key={i} />;
    case 'em': return <em key={i}>{inlines(x.c)}</em>;
    case 'strong': return <strong key={i}>{inlines(x.c)}</strong>;
    case 'del': return <del key={i}>{inlines(x.c)}</del>;
    case 'link': return <a key={i} href={x.href} target={x.href.startsWith('/') ? undefined : '_blank'} rel="noopener noreferrer nofollow">{inlines(x.c)}</a>;
  }
}

function block(b: Block, i: number): ComponentChildren {
  switch (b.t) {
    case 'h': { const H = `h${Math.min(6, b.level + 2)}` as 'h3'; return <H key={i}>{inlines(b.c)}</H>; }
    case 'p': return <p key={i}>{inlines(b.c)}</p>;
    case 'code': return <pre key={i}><code>{b.v}</code></pre>;
    case 'hr': return <hr key={i} />;
    case 'quote': return <blockquote key={i}>{b.c.map(block)}</blockquote>;
    case 'list': {
      const items = b.items.map((it, k) => <li key={k}>{it.map(block)}</li>);
      return b.ordered ? <ol key={i} start={b.start}>{items}</ol> : <ul key={i}>{items}</ul>;
    }
    case 'table': return (
      <div class="scroll-x" key={i}><table>
        <thead><tr>{b.head.map((h, k) => <th key={k} style={b.align[k] ? { textAlign: b.align[k]! } : undefined}>{inlines(h)}</th>)}</tr></thead>
        <tbody>{b.rows.map((r, k) => <tr key={k}>{r.map((c, j) => <td key={j} style={b.align[j] ? { textAlign: b.align[j]! } : undefined}>{inlines(c)}</td>)}</tr>)}</tbody>
      </table></div>);
  }
}
