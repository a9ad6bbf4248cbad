// Parameters and other JSON as indented text.
export function Json({ value }: { value: unknown }) {
  if (value === undefined || value === null || (typeof value === 'object' && Object.keys(value as object).length === 0))
    return <span class="muted">none</span>;
  return <pre>{JSON.stringify(value, null, 2)}</pre>;
}
export function Tags({ tags }: { tags?: string[] }) {
  if (!tags || tags.length === 0) return <span class="muted">none</span>;
  return <span>{tags.map((t) => <span class="tag" key={t}>{t}</span>)}</span>;
}
