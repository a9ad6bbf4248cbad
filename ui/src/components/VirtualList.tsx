import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

// A list that renders only the rows in view (plus a margin), so 100,000 rows
// cost what 40 do. Rows have one fixed height. on_near_end asks for the next page.
export interface VirtualListProps<T> {
  items: T[]; row_height: number; height: number; columns: string; label: string;
  header?: ComponentChildren; render: (item: T, index: number) => ComponentChildren;
  row_class?: (item: T, index: number) => string; on_near_end?: () => void;
  scroll_to?: number | null; row_key: (item: T, index: number) => string;
}

export function VirtualList<T>(p: VirtualListProps<T>) {
  const box = useRef<HTMLDivElement>(null);
  const [top, set_top] = useState(0);
  const head = p.header ? p.row_height : 0;
  useEffect(() => {
    if (p.scroll_to === null || p.scroll_to === undefined || !box.current) return;
    box.current.scrollTop = Math.max(0, p.scroll_to * p.row_height - p.height / 3);
  }, [p.scroll_to]);
  const first = Math.max(0, Math.floor(top / p.row_height) - 10);
  const last = Math.min(p.items.length, Math.ceil((top + p.height) / p.row_height) + 10);
  useEffect(() => {
    if (p.on_near_end && last >= p.items.length - 20) p.on_near_end();
  }, [last, p.items.length]);
  const rows = [];
  for (let i = first; i < last; ++i) {
    const it = p.items[i];
    rows.push(
      <div key={p.row_key(it, i)} role="row" aria-rowindex={i + 2} class={`vrow ${p.row_class?.(it, i) ?? ''}`}
        style={{ top: head + i * p.row_height, height: p.row_height, gridTemplateColumns: p.columns }}>
        {p.render(it, i)}
      </div>);
  }
  return (
    <div class="vlist" ref={box} role="table" aria-label={p.label} aria-rowcount={p.items.length + 1} tabIndex={0}
      style={{ height: Math.min(p.height, head + p.items.length * p.row_height + 2) || p.row_height * 2 }}
      onScroll={(e) => set_top((e.currentTarget as HTMLDivElement).scrollTop)}>
      <div style={{ height: head + p.items.length * p.row_height, position: 'relative' }}>
        {p.header && <div role="row" class="vrow vhead" style={{ top: 0, height: p.row_height, gridTemplateColumns: p.columns, position: 'sticky' }}>{p.header}</div>}
        {rows}
      </div>
    </div>
  );
}
