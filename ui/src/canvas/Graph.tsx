import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { layout_dag } from '../lib/layout';
import { seg_widths, state_colors, type StateKind } from '../lib/states';
import { mark_after_paint } from '../lib/marks';
import { css_var, use_canvas } from './use_canvas';

// The dependency graph on a canvas. The page gives it either task runs (a small
// run) or task-name groups (a big one); both are boxes with state colour bars
// and edges, laid out in layers from left to right. Wheel zooms, drag pans,
// arrow keys walk the boxes, Enter opens the selected one.
export interface GraphBox { id: string; label: string; sub: string; segments: { kind: StateKind; frac: number }[]; title: string }

export function Graph({ boxes, edges, height: max_height = 420, on_open, selected }: {
  boxes: GraphBox[]; edges: [string, string][]; height?: number; on_open: (id: string) => void; selected?: string | null;
}) {
  const BW = 150, BH = 40, COL = 200, ROWH = 56;
  const lay = useMemo(() => layout_dag({ ids: boxes.map((b) => b.id), edges }, { col_width: COL, row_height: ROWH, max_rows: 30 }), [boxes, edges]);
  // As tall as the graph needs (a 4-group graph is a strip), at most max_height.
  const height = Math.max(160, Math.min(max_height, lay.height + 100));
  const by_id = useMemo(() => new Map(boxes.map((b) => [b.id, b])), [boxes]);
  const [xf, set_xf] = useState<{ s: number; x: number; y: number } | null>(null);
  const [sel, set_sel] = useState<string | null>(selected ?? null);
  const [hover, set_hover] = useState<{ id: string; x: number; y: number } | null>(null);
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);
  const box = useRef<HTMLDivElement>(null);

  const fit = (w: number) => {
    const gw = Math.max(lay.width - COL + BW, BW) + 40, gh = Math.max(lay.height, ROWH) + 40;
    const s = Math.min(1.5, w / gw, height / gh);
    return { s, x: (w - (lay.width - COL + BW) * s) / 2, y: (height - (lay.height - ROWH + BH) * s) / 2 };
  };

  const { ref, width } = use_canvas(height, (ctx, w, h) => {
    const t = xf ?? fit(w);
    const col = state_colors();
    const fg = css_var('--fg'), line = css_var('--muted'), panel = css_var('--panel'), border = css_var('--line'), accent = css_var('--accent');
    ctx.save();
    ctx.translate(t.x, t.y); ctx.scale(t.s, t.s);
    const vx0 = -t.x / t.s, vy0 = -t.y / t.s, vx1 = (w - t.x) / t.s, vy1 = (h - t.y) / t.s;
    ctx.strokeStyle = line; ctx.globalAlpha = 0.55; ctx.lineWidth = 1 / Math.max(t.s, 0.3);
    ctx.beginPath();
    for (const [u, d] of edges) {
      const a = lay.nodes.get(u), b = lay.nodes.get(d);
      if (!a || !b) continue;
      const ax = a.x + BW, ay = a.y + BH / 2, bx = b.x, by = b.y + BH / 2;
      if (Math.max(ax, bx) < vx0 || Math.min(ax, bx) > vx1 || Math.max(ay, by) < vy0 || Math.min(ay, by) > vy1) continue;
      const mx = (ax + bx) / 2;
      ctx.moveTo(ax, ay); ctx.bezierCurveTo(mx, ay, mx, by, bx, by);
    }
    ctx.stroke();
    ctx.globalAlpha = 1;
    const detail = t.s > 0.45;
    ctx.font = '12px system-ui, sans-serif';
    for (const n of lay.nodes.values()) {
      if (n.x + BW < vx0 || n.x > vx1 || n.y + BH < vy0 || n.y > vy1) continue;
      const b = by_id.get(n.id)!;
      if (!detail) {
        let x = n.x;
        for (const s of b.segments) { ctx.fillStyle = col[s.kind]; ctx.fillRect(x, n.y, BW * s.frac, BH); x += BW * s.frac; }
        continue;
      }
      ctx.fillStyle = panel; ctx.strokeStyle = n.id === sel ? accent : border; ctx.lineWidth = n.id === sel ? 3 : 1;
      ctx.beginPath(); ctx.roundRect(n.x, n.y, BW, BH, 6); ctx.fill(); ctx.stroke();
      let x = n.x + 1;
      for (const [kind, sw] of seg_widths(b.segments, BW - 2)) { ctx.fillStyle = col[kind]; ctx.fillRect(x, n.y + BH - 7, sw, 6); x += sw; }
      ctx.fillStyle = fg; ctx.textAlign = 'left';
      ctx.fillText(clip(ctx, b.label, BW - 12), n.x + 6, n.y + 15);
      ctx.fillStyle = line;
      ctx.fillText(clip(ctx, b.sub, BW - 12), n.x + 6, n.y + 28);
    }
    ctx.restore();
    if (boxes.length) mark_after_paint('baton:graph-drawn');
  }, [lay, xf, sel, boxes]);

  useEffect(() => { set_xf(null); }, [lay]);
  useEffect(() => { if (selected) set_sel(selected); }, [selected]);

  const t = xf ?? fit(width || 800);
  const hit = (x: number, y: number): string | null => {
    const gx = (x - t.x) / t.s, gy = (y - t.y) / t.s;
    for (const n of lay.nodes.values()) if (gx >= n.x && gx <= n.x + BW && gy >= n.y && gy <= n.y + BH) return n.id;
    return null;
  };
  const centre_on = (id: string) => {
    const n = lay.nodes.get(id);
    if (!n) return;
    const s = Math.max(t.s, 0.8);
    set_xf({ s, x: (width / 2) - (n.x + BW / 2) * s, y: height / 2 - (n.y + BH / 2) * s });
  };
  const onKey = (e: KeyboardEvent) => {
    const cur = sel ? lay.nodes.get(sel) : undefined;
    let next: string | undefined;
    if (e.key === '+' || e.key === '=') { set_xf({ ...t, s: t.s * 1.25, x: width / 2 - (width / 2 - t.x) * 1.25, y: height / 2 - (height / 2 - t.y) * 1.25 }); e.preventDefault(); return; }
    if (e.key === '-') { set_xf({ ...t, s: t.s / 1.25, x: width / 2 - (width / 2 - t.x) / 1.25, y: height / 2 - (height / 2 - t.y) / 1.25 }); e.preventDefault(); return; }
    if (e.key === '0') { set_xf(null); e.preventDefault(); return; }
    if (e.key === 'Enter' && sel) { on_open(sel); e.preventDefault(); return; }
    if (!cur) { if (e.key.startsWith('Arrow') && lay.layers[0]?.[0]) { next = lay.layers[0][0]; } }
    else if (e.key === 'ArrowDown') next = lay.layers[cur.layer][cur.order + 1];
    else if (e.key === 'ArrowUp') next = lay.layers[cur.layer][cur.order - 1];
    else if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      const L = lay.layers[cur.layer + (e.key === 'ArrowRight' ? 1 : -1)];
      if (L?.length) next = L[Math.min(L.length - 1, Math.round((cur.order / Math.max(1, lay.layers[cur.layer].length)) * L.length))];
    } else return;
    e.preventDefault();
    if (next) { set_sel(next); centre_on(next); }
  };
  const sel_box = sel ? by_id.get(sel) : undefined;
  return (
    <div>
      <div class="canvas-box" ref={box} onKeyDown={onKey}>
        <canvas ref={ref} tabIndex={0} role="img" data-testid="graph"
          aria-label={`Dependency graph of ${boxes.length} boxes and ${edges.length} edges. Arrow keys select, Enter opens, plus and minus zoom, 0 fits.`}
          onWheel={(e) => {
            e.preventDefault();
            const f = e.deltaY > 0 ? 0.85 : 1 / 0.85;
            set_xf({ s: t.s * f, x: e.offsetX - (e.offsetX - t.x) * f, y: e.offsetY - (e.offsetY - t.y) * f });
          }}
          onPointerDown={(e) => { drag.current = { x: e.clientX, y: e.clientY, moved: false }; (e.currentTarget as Element).setPointerCapture(e.pointerId); }}
          onPointerMove={(e) => {
            const d = drag.current;
            if (d && (Math.abs(e.clientX - d.x) + Math.abs(e.clientY - d.y) > 3 || d.moved)) {
              set_xf({ ...t, x: t.x + e.clientX - d.x, y: t.y + e.clientY - d.y }); d.x = e.clientX; d.y = e.clientY; d.moved = true; set_hover(null); return;
            }
            const id = hit(e.offsetX, e.offsetY);
            set_hover(id ? { id, x: e.offsetX, y: e.offsetY } : null);
          }}
          onPointerUp={(e) => {
            const d = drag.current; drag.current = null;
            if (d && !d.moved) { const id = hit(e.offsetX, e.offsetY); if (id) { set_sel(id); on_open(id); } }
          }} />
        {hover && by_id.get(hover.id) && (
          <div class="tooltip" style={{ left: Math.min(width - 260, hover.x + 12), top: Math.min(height - 60, hover.y + 12) }}>{by_id.get(hover.id)!.title}</div>)}
      </div>
      <div class="row muted" style={{ fontSize: '.8rem', marginTop: '.3rem' }}>
        <button type="button" onClick={() => set_xf(null)}>Fit</button>
        <span aria-live="polite">{sel_box ? `Selected: ${sel_box.title}` : 'Click or Enter on a box opens it; arrows move the selection.'}</span>
      </div>
    </div>
  );
}

function clip(ctx: CanvasRenderingContext2D, s: string, w: number): string {
  if (ctx.measureText(s).width <= w) return s;
  let lo = 0, hi = s.length;
  while (lo < hi) { const m = (lo + hi + 1) >> 1; if (ctx.measureText(s.slice(0, m) + '…').width <= w) lo = m; else hi = m - 1; }
  return s.slice(0, lo) + '…';
}
