import { useMemo, useState } from 'preact/hooks';
import { ApiError, run_deployment } from '../../lib/api';
import { form_parameters, param_fields, param_of_field, type ParamField } from '../../lib/params';
import { short_id } from '../../lib/format';
import type { Deployment, FlowRun } from '../../lib/types';

// "Run": a form prefilled from the deployment's defaults; the server checks the
// parameters against the flow's declaration and its 422 names the field, shown
// next to that field.
export function RunForm({ d, on_created }: { d: Deployment; on_created: (r: FlowRun) => void }) {
  const fields = useMemo(() => param_fields(d), [d.parameters, d.parameter_specs]);
  const [values, set_values] = useState<Record<string, string>>({});
  const [busy, set_busy] = useState(false);
  const [error, set_error] = useState<{ message: string; param: string | null } | null>(null);
  const [created, set_created] = useState<FlowRun | null>(null);
  const value = (f: ParamField) => values[f.name] ?? f.initial;
  const submit = async (e: Event) => {
    e.preventDefault();
    set_busy(true); set_error(null); set_created(null);
    try {
      const r = await run_deployment(d.name, { parameters: form_parameters(fields, values) });
      set_created(r); on_created(r);
    } catch (x) {
      const field = x instanceof ApiError ? x.field : undefined;
      const param = param_of_field(field);
      set_error({ message: x instanceof Error ? x.message : String(x), param: param && fields.some((f) => f.name === param) ? param : null });
    } finally { set_busy(false); }
  };
  return (
    <form class="runform" onSubmit={(e) => void submit(e)} aria-label={`Run ${d.name}`} data-testid="run-form" noValidate>
      {fields.length === 0 && <p class="muted">This flow declares no parameters.</p>}
      {fields.map((f) => {
        const id = `param-${f.name}`, err = error?.param === f.name;
        return (
          <div class="field" key={f.name}>
            <label for={id}>{f.name} <span class="muted">{f.type}{f.required ? ', required' : ''}</span></label>
            {f.kind === 'bool' ? (
              <input id={id} type="checkbox" checked={value(f) === 'true'} aria-invalid={err || undefined} aria-describedby={err ? `${id}-error` : undefined}
                onChange={(e) => set_values({ ...values, [f.name]: (e.target as HTMLInputElement).checked ? 'true' : 'false' })} />
            ) : (
              <input id={id} value={value(f)} inputMode={f.kind === 'int' ? 'numeric' : f.kind === 'float' ? 'decimal' : undefined}
                aria-invalid={err || undefined} aria-describedby={err ? `${id}-error` : undefined} class={err ? 'invalid' : undefined}
                onInput={(e) => set_values({ ...values, [f.name]: (e.target as HTMLInputElement).value })} />
            )}
            {err && <span class="error field-error" id={`${id}-error`} role="alert" data-testid="field-error">{error!.message}</span>}
          </div>);
      })}
      {error && !error.param && <p class="error" role="alert" data-testid="run-error">{error.message}</p>}
      <div class="row">
        <button class="primary" type="submit" disabled={busy} data-testid="run-submit">{busy ? 'Creating run…' : 'Run'}</button>
        {Object.keys(values).length > 0 && <button type="button" onClick={() => { set_values({}); set_error(null); }}>Reset to defaults</button>}
        {created && <span role="status" data-testid="run-created">Created <a href={`/flow-runs/${created.id}`}>{created.run_name || short_id(created.id)}</a> ({created.state}).</span>}
      </div>
    </form>
  );
}
