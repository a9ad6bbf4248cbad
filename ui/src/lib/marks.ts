// Named moments the benchmark and the browser tests wait for
// (performance marks, readable as performance.getEntriesByName(name)).
export function mark_once(name: string): void {
  if (performance.getEntriesByName(name, 'mark').length === 0) performance.mark(name);
}
