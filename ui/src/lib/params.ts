// The "Run" form of a deployment: its fields come from the flow's declared
// parameters (parameter_specs) and the deployment's defaults; what the user
// typed is turned into JSON values by the declared type. A value that does not
// fit its type is sent as the text it is, so the server — which checks every
// parameter against the flow's declaration — names the problem (a 422 with
// field "parameters.NAME"), and the form shows it next to that field.
import type { Deployment } from './types';

export type FieldKind = 'bool' | 'int' | 'float' | 'string' | 'json';
export interface ParamField { name: string; type: string; kind: FieldKind; required: boolean; initial: string }

export function kind_of_type(type: string): FieldKind {
  const t = type.replace(/^(const\s+)?(std::)?/, '').replace(/\s+/g, '').toLowerCase();
  if (t === 'bool' || t === 'boolean') return 'bool';
  if (/^(u?int(8|16|32|64)?(_t)?|integer|long|longlong|unsigned|short|size_t|std::size_t)$/.test(t)) return 'int';
  if (/^(double|float|longdouble|number)$/.test(t)) return 'float';
  if (/^(string|std::string|string_view|str|path|std::filesystem::path|filesystem::path)$/.test(t)) return 'string';
  return 'json';
}

function kind_of_value(v: unknown): FieldKind {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'string';
  return 'json';
}

function text_of(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

// The fields in the order the flow declares them, then defaults with no declaration.
export function param_fields(d: Pick<Deployment, 'parameters' | 'parameter_specs'>): ParamField[] {
  const defaults = d.parameters ?? {};
  const out: ParamField[] = [];
  const seen = new Set<string>();
  for (const s of d.parameter_specs ?? []) {
    seen.add(s.name);
    const has = Object.prototype.hasOwnProperty.call(defaults, s.name);
    out.push({ name: s.name, type: s.type, kind: kind_of_type(s.type), required: !!s.required, initial: has ? text_of(defaults[s.name]) : (s.default ?? '') });
  }
  for (const [name, v] of Object.entries(defaults)) {
    if (seen.has(name)) continue;
    const kind = kind_of_value(v);
    out.push({ name, type: kind === 'json' ? 'json' : typeof v, kind, required: false, initial: text_of(v) });
  }
  return out;
}

const INT = /^[+-]?\d+$/;
// One typed value; undefined means "leave it out" (an empty optional field).
export function parse_value(f: Pick<ParamField, 'kind' | 'required'>, raw: string): unknown {
  const v = f.kind === 'string' ? raw : raw.trim();
  if (v === '' && f.kind !== 'bool') return f.required ? v : undefined;
  switch (f.kind) {
    case 'bool': return v === 'true' ? true : v === 'false' || v === '' ? false : v;
    case 'int': return INT.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : v;
    case 'float': { const n = Number(v); return Number.isFinite(n) ? n : v; }
    case 'string': return raw;
    case 'json': try { return JSON.parse(v); } catch { return v; }
  }
}

// The parameters to send: every field with a value, typed.
export function form_parameters(fields: ParamField[], values: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = parse_value(f, values[f.name] ?? f.initial);
    if (v !== undefined) out[f.name] = v;
  }
  return out;
}

// "parameters.month" → "month"; other fields (or none) → null.
export function param_of_field(field?: string | null): string | null {
  if (!field) return null;
  const m = /^parameters(?:\.|\[["']?)([^\]"']+)/.exec(field);
  return m ? m[1] : null;
}
