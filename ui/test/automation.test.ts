import { describe, expect, it } from 'vitest';
import { describe_schedule, describe_schedules, fmt_interval } from '../src/lib/schedule';
import { form_parameters, kind_of_type, param_fields, param_of_field, parse_value } from '../src/lib/params';
import { inline_text, parse_inline, parse_markdown, safe_url, type Block, type Inline } from '../src/lib/markdown';
import { link_of, table_of } from '../src/lib/artifacts';
import { state_kind } from '../src/lib/states';

describe('schedules in words', () => {
  it('says an interval in the largest units that divide it', () => {
    expect(describe_schedule({ kind: 'interval', interval_seconds: 900 })).toBe('every 15 min');
    expect(describe_schedule({ kind: 'interval', interval_seconds: 18 })).toBe('every 18 s');
    expect(describe_schedule({ kind: 'interval', interval_seconds: 5400 })).toBe('every 1 h 30 min');
    expect(describe_schedule({ kind: 'interval', interval_seconds: 86400 })).toBe('every 1 day');
    expect(describe_schedule({ kind: 'interval', interval_seconds: 2 * 86400 + 60 })).toBe('every 2 days 1 min');
    expect(fmt_interval(1.5)).toBe('1.5 s');
  });
  it('shows a cron or rrule with its time zone, UTC when none is given', () => {
    expect(describe_schedule({ kind: 'cron', cron: '0 3 * * *', timezone: 'Europe/Berlin' })).toBe('cron 0 3 * * * (Europe/Berlin)');
    expect(describe_schedule({ kind: 'cron', cron: ' 0   3 * * * ' })).toBe('cron 0 3 * * * (UTC)');
    expect(describe_schedule({ kind: 'rrule', rrule: 'RRULE:FREQ=DAILY;BYHOUR=3', timezone: 'America/New_York' })).toBe('rrule FREQ=DAILY;BYHOUR=3 (America/New_York)');
  });
  it('lists several schedules and marks the paused ones', () => {
    expect(describe_schedules([{ kind: 'interval', interval_seconds: 60 }, { kind: 'cron', cron: '0 3 * * *', active: false }]))
      .toBe('every 1 min; cron 0 3 * * * (UTC) [paused]');
    expect(describe_schedules([])).toBe('no schedule');
  });
});

describe('the Run form parameters', () => {
  const d = {
    parameters: { month: '2024-01', rows: 1000, dry_run: false, extra: [1, 2] },
    parameter_specs: [
      { name: 'month', type: 'std::string', required: true },
      { name: 'rows', type: 'int64', default: '10' },
      { name: 'ratio', type: 'double', default: '0.5' },
      { name: 'dry_run', type: 'bool' },
      { name: 'label', type: 'string' },
    ],
  };
  it('lists the declared parameters in order, prefilled from the defaults, then undeclared defaults', () => {
    const f = param_fields(d);
    expect(f.map((x) => [x.name, x.kind, x.initial, x.required])).toEqual([
      ['month', 'string', '2024-01', true], ['rows', 'int', '1000', false], ['ratio', 'float', '0.5', false],
      ['dry_run', 'bool', 'false', false], ['label', 'string', '', false], ['extra', 'json', '[1,2]', false]]);
  });
  it('sends typed values: numbers as numbers, booleans as booleans, JSON parsed, empty optional fields left out', () => {
    const f = param_fields(d);
    expect(form_parameters(f, {})).toEqual({ month: '2024-01', rows: 1000, ratio: 0.5, dry_run: false, extra: [1, 2] });
    expect(form_parameters(f, { rows: ' 42 ', ratio: '1e3', dry_run: 'true', label: ' x ' })).toEqual(
      { month: '2024-01', rows: 42, ratio: 1000, dry_run: true, label: ' x ', extra: [1, 2] });
  });
  it('sends a value that does not fit its type as the text typed, for the server to name', () => {
    expect(parse_value({ kind: 'int', required: false }, 'twelve')).toBe('twelve');
    expect(parse_value({ kind: 'int', required: false }, '1.5')).toBe('1.5');
    expect(parse_value({ kind: 'int', required: false }, '99999999999999999999')).toBe('99999999999999999999');
    expect(parse_value({ kind: 'float', required: false }, 'abc')).toBe('abc');
    expect(parse_value({ kind: 'json', required: false }, '{oops')).toBe('{oops');
    // A required field left empty is sent empty (the server says it is missing).
    expect(parse_value({ kind: 'int', required: true }, '')).toBe('');
  });
  it('knows the C++ types a flow declares', () => {
    expect(['int', 'int64', 'int64_t', 'std::int32_t', 'uint8_t', 'long', 'size_t'].map(kind_of_type)).toEqual(Array(7).fill('int'));
    expect(['double', 'float'].map(kind_of_type)).toEqual(['float', 'float']);
    expect(['bool', 'std::string', 'string', 'std::filesystem::path'].map(kind_of_type)).toEqual(['bool', 'string', 'string', 'string']);
    expect(kind_of_type('std::vector<int>')).toBe('json');
  });
  it("maps the server's field name to the form field", () => {
    expect(param_of_field('parameters.month')).toBe('month');
    expect(param_of_field('parameters["odd.name"]')).toBe('odd.name');
    expect(param_of_field('schedules[0].cron')).toBeNull();
    expect(param_of_field(undefined)).toBeNull();
  });
});

// Every text that the tree carries, to check that no markup is ever produced from input.
function texts(bs: Block[]): string[] {
  const out: string[] = [];
  const inl = (c: Inline[]) => c.forEach((x) => { if (x.t === 'text' || x.t === 'code') out.push(x.v); else if (x.t !== 'br') inl(x.c); });
  for (const b of bs) {
    if (b.t === 'p' || b.t === 'h') inl(b.c);
    else if (b.t === 'code') out.push(b.v);
    else if (b.t === 'quote') out.push(...texts(b.c));
    else if (b.t === 'list') b.items.forEach((it) => out.push(...texts(it)));
    else if (b.t === 'table') { b.head.forEach(inl); b.rows.forEach((r) => r.forEach(inl)); }
  }
  return out;
}

describe('the markdown renderer', () => {
  it('keeps raw HTML as text: a script or an onerror attribute never becomes markup', () => {
    const bs = parse_markdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n**<b>bold</b>**');
    expect(bs.map((b) => b.t)).toEqual(['p', 'p', 'p']);
    expect(texts(bs)).toEqual(['<script>alert(1)</script>', '<img src=x onerror="alert(2)">', '<b>bold</b>']);
    expect((bs[2] as { c: Inline[] }).c[0].t).toBe('strong');
  });
  it('makes links of http(s), mailto and relative URLs only; a javascript: link stays text', () => {
    expect(parse_inline('[docs](https://example.org/a?b=1)')).toEqual([{ t: 'link', href: 'https://example.org/a?b=1', c: [{ t: 'text', v: 'docs' }] }]);
    expect(parse_inline('[run](/flow-runs/abc)')[0]).toMatchObject({ t: 'link', href: '/flow-runs/abc' });
    expect(parse_inline('[x](javascript:alert(1))')).toEqual([{ t: 'text', v: 'x' }]);
    expect(parse_inline('[x](JaVa\tScript:alert(1))')).toEqual([{ t: 'text', v: 'x' }]);
    expect(parse_inline('[x](data:text/html,<script>1</script>)')).toEqual([{ t: 'text', v: 'x' }]);
    expect(safe_url('mailto:a@b.c')).toBe('mailto:a@b.c');
    expect(safe_url('vbscript:msgbox')).toBeNull();
    // Bare and angle-bracket URLs are links; a trailing full stop is not part of one.
    expect(parse_inline('see https://example.org/x.')).toEqual([{ t: 'text', v: 'see ' }, { t: 'link', href: 'https://example.org/x', c: [{ t: 'text', v: 'https://example.org/x' }] }, { t: 'text', v: '.' }]);
    expect(parse_inline('<https://a.b/c>')[0]).toMatchObject({ t: 'link', href: 'https://a.b/c' });
  });
  it('renders a GitHub table as a table, with alignment and escaped pipes', () => {
    const [t] = parse_markdown('| month | rows | note |\n|:---|---:|:-:|\n| 2024-01 | 1,204 | a \\| b |\n| 2024-02 | 998 |');
    expect(t.t).toBe('table');
    if (t.t !== 'table') return;
    expect(t.align).toEqual(['left', 'right', 'center']);
    expect(t.head.map(inline_text)).toEqual(['month', 'rows', 'note']);
    expect(t.rows.map((r) => r.map(inline_text))).toEqual([['2024-01', '1,204', 'a | b'], ['2024-02', '998', '']]);
  });
  it('reads headings, emphasis, code, lists, quotes and fenced code', () => {
    const bs = parse_markdown('# Report\n\nSome *em* and **strong** and `a<b`.\n\n- one\n- two\n  continued\n\n1. first\n2. second\n\n> quoted\n\n```sql\nselect 1 < 2;\n```\n\n---');
    expect(bs.map((b) => b.t)).toEqual(['h', 'p', 'list', 'list', 'quote', 'code', 'hr']);
    expect(bs[0]).toMatchObject({ t: 'h', level: 1 });
    expect((bs[1] as { c: Inline[] }).c.map((x) => x.t)).toEqual(['text', 'em', 'text', 'strong', 'text', 'code', 'text']);
    const ul = bs[2] as Extract<Block, { t: 'list' }>;
    expect(ul.ordered).toBe(false);
    expect(ul.items.map((it) => texts(it).join(''))).toEqual(['one', 'two continued']);
    expect((bs[3] as Extract<Block, { t: 'list' }>).ordered).toBe(true);
    expect(bs[5]).toEqual({ t: 'code', lang: 'sql', v: 'select 1 < 2;' });
  });
  it('does not treat snake_case words or lone stars as emphasis, and never hangs on unclosed markers', () => {
    expect(parse_inline('a snake_case_name here')).toEqual([{ t: 'text', v: 'a snake_case_name here' }]);
    expect(parse_inline('a__b__c and x__y')).toEqual([{ t: 'text', v: 'a__b__c and x__y' }]);
    expect(parse_inline('__strong__ and **also**').map((x) => x.t)).toEqual(['strong', 'text', 'strong']);
    expect(inline_text(parse_inline('2 * 3 * 4'))).toBe('2 * 3 * 4');
    const evil = '**'.repeat(2000) + '[' .repeat(2000) + '`'.repeat(100) + '_'.repeat(1000);
    // Quotes nest at most 8 deep; the rest of the markers stay text.
    const bs = parse_markdown(evil + '\n\n' + '> '.repeat(100) + 'deep');
    expect(texts(bs).join('')).toContain('deep');
    expect(texts(bs).join('')).toContain('[[[');
  });
});

describe('table and link artifacts', () => {
  it('reads {columns, rows} and rows of objects, and shows cells as text', () => {
    expect(table_of({ columns: ['a', 'b'], rows: [[1, 'x'], [null, { y: 1 }]] })).toEqual({ columns: ['a', 'b'], rows: [['1', 'x'], ['', '{"y":1}']], total: 2, truncated: false });
    expect(table_of({ rows: [{ a: 1 }, { b: true }] })?.columns).toEqual(['a', 'b']);
    expect(table_of({ rows: [{ a: 1 }, { b: true }] })?.rows).toEqual([['1', ''], ['', 'true']]);
    expect(table_of('nope')).toBeNull();
    expect(table_of({ columns: ['n'], rows: Array.from({ length: 1500 }, (_, i) => [i]) })).toMatchObject({ total: 1500, truncated: true });
  });
  it('reads a link as {url, text} or a bare string', () => {
    expect(link_of({ url: 'https://a.b', text: 'A' })).toEqual({ url: 'https://a.b', text: 'A' });
    expect(link_of('https://a.b')).toEqual({ url: 'https://a.b', text: '' });
    expect(link_of({ text: 'no url' })).toBeNull();
  });
});

describe('the deployment states', () => {
  it('tells Late and AwaitingConcurrencySlot apart from plain waiting', () => {
    expect(state_kind('Late')).toBe('late');
    expect(state_kind('AwaitingConcurrencySlot')).toBe('queued');
    expect(state_kind('Scheduled')).toBe('waiting');
  });
});
