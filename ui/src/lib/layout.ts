// Layered (Sugiyama-style) layout of a DAG for the graph canvas: longest-path
// layers, a few barycentre sweeps to cut crossings, then positions. Linear in
// nodes + edges per sweep, so a few thousand nodes lay out in milliseconds;
// past that the page draws groups (one node per task name) instead.

export interface LayoutInput { ids: string[]; edges: [string, string][] }
export interface LayoutNode { id: string; layer: number; order: number; x: number; y: number }
export interface Layout { nodes: Map<string, LayoutNode>; layers: string[][]; width: number; height: number }

// max_rows: a layer taller than this wraps into several columns (a page of 500
// independent runs becomes a block, not a 500-row line).
export interface LayoutOptions { col_width: number; row_height: number; sweeps?: number; max_rows?: number }

export function layout_dag(input: LayoutInput, opt: LayoutOptions): Layout {
  const index = new Map<string, number>();
  input.ids.forEach((id, i) => index.set(id, i));
  const n = input.ids.length;
  const ups: number[][] = Array.from({ length: n }, () => []);
  const downs: number[][] = Array.from({ length: n }, () => []);
  const indeg = new Int32Array(n);
  for (const [u, d] of input.edges) {
    const a = index.get(u), b = index.get(d);
    if (a === undefined || b === undefined || a === b) continue;
    ups[b].push(a); downs[a].push(b); indeg[b]++;
  }
  // Kahn's order; nodes left on a cycle (bad data) go after, on layer 0 + their known ups.
  const layer = new Int32Array(n);
  const queue: number[] = [];
  for (let i = 0; i < n; ++i) if (indeg[i] === 0) queue.push(i);
  const seen = new Uint8Array(n);
  for (let h = 0; h < queue.length; ++h) {
    const v = queue[h]; seen[v] = 1;
    for (const w of downs[v]) {
      if (layer[v] + 1 > layer[w]) layer[w] = layer[v] + 1;
      if (--indeg[w] === 0) queue.push(w);
    }
  }
  for (let i = 0; i < n; ++i) if (!seen[i]) queue.push(i);

  let depth = 0;
  for (let i = 0; i < n; ++i) depth = Math.max(depth, layer[i] + 1);
  const layers: number[][] = Array.from({ length: depth }, () => []);
  for (const v of queue) layers[layer[v]].push(v);

  const pos = new Float64Array(n);
  const renumber = (L: number[]) => L.forEach((v, i) => { pos[v] = i; });
  layers.forEach(renumber);
  const sweeps = opt.sweeps ?? 4;
  for (let s = 0; s < sweeps; ++s) {
    const down = s % 2 === 0;
    const order = down ? layers.keys() : [...layers.keys()].reverse().values();
    for (const li of order) {
      const L = layers[li];
      const key = new Float64Array(n);
      for (const v of L) {
        const nb = down ? ups[v] : downs[v];
        if (nb.length === 0) { key[v] = pos[v]; continue; }
        let sum = 0; for (const w of nb) sum += pos[w];
        key[v] = sum / nb.length;
      }
      L.sort((a, b) => key[a] - key[b] || pos[a] - pos[b]);
      renumber(L);
    }
  }

  const nodes = new Map<string, LayoutNode>();
  const max_rows = Math.max(1, opt.max_rows ?? Infinity);
  let widest = 0;
  for (const L of layers) widest = Math.max(widest, Math.min(L.length, max_rows));
  let col = 0;
  layers.forEach((L, li) => {
    const rows = Math.min(L.length, max_rows);
    const offset = (widest - rows) / 2; // centre short layers
    L.forEach((v, i) => {
      const id = input.ids[v];
      const c = Math.floor(i / max_rows), r = i % max_rows;
      nodes.set(id, { id, layer: li, order: i, x: (col + c) * opt.col_width, y: (r + offset) * opt.row_height });
    });
    col += Math.max(1, Math.ceil(L.length / max_rows));
  });
  return {
    nodes,
    layers: layers.map((L) => L.map((v) => input.ids[v])),
    width: col * opt.col_width,
    height: widest * opt.row_height,
  };
}
