import { useEffect } from 'preact/hooks';
import { list_concurrency_limits } from '../../lib/api';
import { fmt_time } from '../../lib/format';
import { use_async, use_throttle, use_title } from '../../components/hooks';
import { open_stream } from '../../lib/stream';

// Tag concurrency limits: a task with the tag waits (AwaitingConcurrencySlot)
// while the tag's slots are all held. Holders are the task runs holding one.
export function ConcurrencyLimits() {
  use_title('Concurrency limits');
  const limits = use_async(() => list_concurrency_limits(), []);
  const refresh = use_throttle(() => limits.reload(), 2000);
  useEffect(() => open_stream(null, (e) => { if (e.event === 'flow_run' || e.event === 'task_run') refresh(); }), []);
  const list = limits.data?.concurrency_limits;
  return (
    <div>
      <h1>Concurrency limits</h1>
      {limits.error && <div class="banner" role="alert">{limits.error}</div>}
      <div class="panel">
        {!list ? <p class="muted">Loading…</p> : list.length === 0 ? <p class="muted">No tag limits. Create one with <code>baton concurrency-limit create TAG N</code>.</p> : (
          <div class="scroll-x"><table data-testid="concurrency-limits">
            <thead><tr><th>Tag</th><th>Limit</th><th>Active slots</th><th>Holders</th><th>Created</th></tr></thead>
            <tbody>{list.map((c) => {
              const full = c.limit > 0 && (c.active_slots ?? 0) >= c.limit;
              return (
                <tr key={c.tag} data-tag={c.tag}>
                  <td><span class="tag">{c.tag}</span></td>
                  <td>{c.limit === 0 ? '0 (nothing runs)' : c.limit}</td>
                  <td data-testid="active-slots">{c.active_slots ?? 0}{full && <span class="badge late" style={{ marginLeft: '.4rem' }}>full</span>}
                    <meter min={0} max={Math.max(1, c.limit)} value={c.active_slots ?? 0} aria-label={`${c.active_slots ?? 0} of ${c.limit} slots in use`} style={{ marginLeft: '.5rem', width: '5rem' }} /></td>
                  <td class="msg">{c.holders?.length ? c.holders.map((h) => <a key={h} href={`/task-runs/${h}`} class="mono" style={{ marginRight: '.4rem' }}>{h.slice(0, 8)}</a>) : <span class="muted">none</span>}</td>
                  <td>{fmt_time(c.created)}</td>
                </tr>);
            })}</tbody>
          </table></div>)}
      </div>
    </div>
  );
}
