// Named moments the benchmark and the browser tests wait for
// (performance marks, readable as performance.getEntriesByName(name)).
export function mark_once(name: string): void {
  if (performance.getEntriesByName(name, 'mark').length === 0) performance.mark(name);
}

// The mark after the browser painted the frame that shows it (rAF, then a task).
export function mark_after_paint(name: string): void {
  requestAnimationFrame(() => setTimeout(() => mark_once(name), 0));
}
