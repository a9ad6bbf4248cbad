import { useEffect, useRef, useState } from 'preact/hooks';
import { key_given, on_key_prompt } from '../lib/api';

// Asked when the API answers 401: the key is kept in sessionStorage, so once per session.
export function KeyPrompt() {
  const [open, set_open] = useState(false);
  const [value, set_value] = useState('');
  const dlg = useRef<HTMLDialogElement>(null);
  useEffect(() => on_key_prompt((asking) => set_open(asking)), []);
  useEffect(() => {
    const d = dlg.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={dlg} aria-labelledby="key-title" onCancel={(e) => e.preventDefault()}>
      <form method="dialog" onSubmit={(e) => { e.preventDefault(); if (value) { key_given(value); set_value(''); } }}>
        <h2 id="key-title">API key</h2>
        <p class="muted">This server asks for an API key. It is kept for this browser session only.</p>
        <div class="row">
          <input type="password" autoComplete="off" aria-label="API key" autoFocus value={value} onInput={(e) => set_value((e.target as HTMLInputElement).value)} style={{ flex: 1 }} />
          <button class="primary" type="submit">Use key</button>
        </div>
      </form>
    </dialog>
  );
}
