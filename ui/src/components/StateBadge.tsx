import { KIND_SYMBOL, state_kind } from '../lib/states';

// A state in colour and in words (never colour alone).
export function StateBadge({ state, cancel_requested }: { state: string; cancel_requested?: boolean }) {
  const k = state_kind(state);
  return (
    <span class={`badge ${k}`} data-state={state}>
      <span aria-hidden="true">{KIND_SYMBOL[k]}</span>{state}{cancel_requested && state !== 'Cancelled' ? ' · cancel requested' : ''}
    </span>
  );
}
