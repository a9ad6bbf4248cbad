// A small Markdown reader for artifacts: it turns text into a tree of blocks
// and inlines that the UI renders as elements — never as HTML — so a `<script>`
// or an `onerror=` in an artifact stays text. Links are links only when their
// URL is http(s), mailto or relative; a `javascript:` URL stays text.
// Covers what reports use: headings, paragraphs, emphasis, code, lists,
// quotes, rules and GitHub tables. (A full CommonMark package would triple
// the size of the UI for corners reports do not reach.)

export type Inline =
  | { t: 'text'; v: string } | { t: 'code'; v: string } | { t: 'br' }
  | { t: 'em'; c: Inline[] } | { t: 'strong'; c: Inline[] } | { t: 'del'; c: Inline[] }
  | { t: 'link'; href: string; c: Inline[] };
export type Align = 'left' | 'center' | 'right' | null;
export type Block =
  | { t: 'h'; level: number; c: Inline[] } | { t: 'p'; c: Inline[] } | { t: 'code'; lang: string; v: string } | { t: 'hr' }
  | { t: 'quote'; c: Block[] } | { t: 'list'; ordered: boolean; start: number; items: Block[][] }
  | { t: 'table'; align: Align[]; head: Inline[][]; rows: Inline[][][] };

// http, https, mailto, or a path/fragment/relative reference with no scheme.
export function safe_url(url: string): string | null {
  const u = url.trim();
  if (!u) return null;
  if (/^(https?:|mailto:)/i.test(u)) return u;
  // Anything else with a scheme (javascript:, data:, vbscript:, file:) is refused;
  // browsers ignore tabs and newlines inside a scheme, so those are refused too.
  if (/^[a-z][a-z0-9+.\-]*:/i.test(u.replace(/[\s\u0000-\u001f]/g, '')) || /[\u0000-\u001f]/.test(u)) return null;
  return u;
}

const PUNCT = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/;

export function parse_inline(s: string): Inline[] {
  const out: Inline[] = [];
  let text = '';
  const flush = () => { if (text) { out.push({ t: 'text', v: text }); text = ''; } };
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length && PUNCT.test(s[i + 1])) { text += s[i + 1]; i += 2; continue; }
    if (c === '\\' && s[i + 1] === '\n') { flush(); out.push({ t: 'br' }); i += 2; continue; }
    if (c === '`') {
      let n = 1; while (s[i + n] === '`') ++n;
      const fence = '`'.repeat(n);
      const end = s.indexOf(fence, i + n);
      if (end > 0 && s[end + n] !== '`') {
        flush();
        let v = s.slice(i + n, end).replace(/\n/g, ' ');
        if (v.length > 2 && v.startsWith(' ') && v.endsWith(' ') && v.trim()) v = v.slice(1, -1);
        out.push({ t: 'code', v }); i = end + n; continue;
      }
      text += fence; i += n; continue;
    }
    // Underscores never emphasise inside a word (snake_case, __dunder__ names in code).
    if ((c === '*' || c === '_' || c === '~') && s[i + 1] === c && !(c === '_' && /\w/.test(s[i - 1] ?? ''))) {
      const d = c + c;
      let end = s.indexOf(d, i + 2);
      while (end > 0 && c === '_' && /\w/.test(s[end + 2] ?? '')) end = s.indexOf(d, end + 2);
      if (end > i + 2 && s[i + 2] !== ' ' && s[end - 1] !== ' ') {
        flush();
        out.push({ t: c === '~' ? 'del' : 'strong', c: parse_inline(s.slice(i + 2, end)) }); i = end + 2; continue;
      }
    }
    if ((c === '*' || c === '_') && s[i + 1] !== ' ' && s[i + 1] !== undefined && !(c === '_' && /\w/.test(s[i - 1] ?? ''))) {
      let end = i + 1;
      for (;;) {
        end = s.indexOf(c, end);
        if (end < 0) break;
        if (s[end + 1] === c) { end += 2; continue; }
        if (s[end - 1] !== ' ' && !(c === '_' && /\w/.test(s[end + 1] ?? ''))) break;
        ++end;
      }
      if (end > i + 1) { flush(); out.push({ t: 'em', c: parse_inline(s.slice(i + 1, end)) }); i = end + 1; continue; }
    }
    if (c === '[' || (c === '!' && s[i + 1] === '[')) {
      const open = c === '!' ? i + 1 : i;
      const close = matching(s, open, '[', ']');
      if (close > 0 && s[close + 1] === '(') {
        const pend = matching(s, close + 1, '(', ')');
        if (pend > 0) {
          const inner = s.slice(open + 1, close);
          const target = s.slice(close + 2, pend).trim().replace(/^<(.*)>$/, '$1').replace(/\s+"[^"]*"$/, '');
          const href = safe_url(target);
          flush();
          const label = inner ? parse_inline(inner) : [{ t: 'text', v: target } as Inline];
          if (href) out.push({ t: 'link', href, c: label }); else out.push(...label);
          i = pend + 1; continue;
        }
      }
    }
    if (c === '<') {
      const m = /^<((?:https?:\/\/|mailto:)[^\s<>]+)>/i.exec(s.slice(i));
      if (m) { flush(); out.push({ t: 'link', href: m[1], c: [{ t: 'text', v: m[1] }] }); i += m[0].length; continue; }
    }
    if ((c === 'h' || c === 'H') && !/\w/.test(s[i - 1] ?? '')) {
      const m = /^https?:\/\/[^\s<>]*[^\s<>.,:;"')\]!?*_~]/i.exec(s.slice(i));
      if (m) { flush(); out.push({ t: 'link', href: m[0], c: [{ t: 'text', v: m[0] }] }); i += m[0].length; continue; }
    }
    if (c === '\n') {
      // A hard break is two trailing spaces; otherwise a newline is a space.
      if (text.endsWith('  ')) { text = text.replace(/ +$/, ''); flush(); out.push({ t: 'br' }); }
      else text += ' ';
      ++i; continue;
    }
    text += c; ++i;
  }
  flush();
  return out;
}

function matching(s: string, at: number, open: string, close: string): number {
  let depth = 0;
  for (let i = at; i < s.length; ++i) {
    if (s[i] === '\\') { ++i; continue; }
    if (s[i] === open) ++depth;
    else if (s[i] === close && --depth === 0) return i;
  }
  return -1;
}

const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/;
const HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const BULLET = /^( {0,3})([-*+])[ \t]+(.*)$/;
const ORDERED = /^( {0,3})(\d{1,9})[.)][ \t]+(.*)$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const TABLE_DELIM = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

function split_row(line: string): string[] {
  let l = line.trim();
  if (l.startsWith('|')) l = l.slice(1);
  if (l.endsWith('|') && !l.endsWith('\\|')) l = l.slice(0, -1);
  const cells: string[] = [];
  let cur = '';
  for (let i = 0; i < l.length; ++i) {
    if (l[i] === '\\' && l[i + 1] === '|') { cur += '|'; ++i; continue; }
    if (l[i] === '|') { cells.push(cur.trim()); cur = ''; continue; }
    cur += l[i];
  }
  cells.push(cur.trim());
  return cells;
}

function starts_block(line: string, next: string | undefined): boolean {
  return HEADING.test(line) || FENCE.test(line) || HR.test(line) || BULLET.test(line) || ORDERED.test(line) || QUOTE.test(line)
    || (line.includes('|') && next !== undefined && TABLE_DELIM.test(next) && next.includes('-'));
}

export function parse_markdown(src: string): Block[] {
  const lines = src.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n');
  return parse_lines(lines, 0);
}

function parse_lines(lines: string[], depth: number): Block[] {
  const out: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { ++i; continue; }
    let m: RegExpExecArray | null;
    if ((m = FENCE.exec(line))) {
      const fence = m[1];
      const body: string[] = [];
      ++i;
      while (i < lines.length && !(lines[i].trim().startsWith(fence[0].repeat(fence.length)) && lines[i].trim().replace(new RegExp(`^\\${fence[0]}+`), '').trim() === '')) body.push(lines[i++]);
      ++i;
      out.push({ t: 'code', lang: m[2] ?? '', v: body.join('\n') });
      continue;
    }
    if (HR.test(line)) { out.push({ t: 'hr' }); ++i; continue; }
    if ((m = HEADING.exec(line))) { out.push({ t: 'h', level: m[1].length, c: parse_inline(m[2] ?? '') }); ++i; continue; }
    if (QUOTE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && lines[i].trim() && QUOTE.test(lines[i])) body.push(QUOTE.exec(lines[i++])![1]);
      out.push({ t: 'quote', c: depth < 8 ? parse_lines(body, depth + 1) : [{ t: 'p', c: parse_inline(body.join('\n')) }] });
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_DELIM.test(lines[i + 1]) && lines[i + 1].includes('-')) {
      const head = split_row(line);
      const align: Align[] = split_row(lines[i + 1]).map((d) => d.startsWith(':') && d.endsWith(':') ? 'center' : d.endsWith(':') ? 'right' : d.startsWith(':') ? 'left' : null);
      i += 2;
      const rows: Inline[][][] = [];
      while (i < lines.length && lines[i].trim() && lines[i].includes('|')) {
        const cells = split_row(lines[i++]);
        rows.push(head.map((_, k) => parse_inline(cells[k] ?? '')));
      }
      out.push({ t: 'table', align: head.map((_, k) => align[k] ?? null), head: head.map((h) => parse_inline(h)), rows });
      continue;
    }
    const bullet = BULLET.exec(line), ordered = bullet ? null : ORDERED.exec(line);
    if (bullet || ordered) {
      const is_ordered = !!ordered;
      const items: Block[][] = [];
      while (i < lines.length) {
        const b = is_ordered ? ORDERED.exec(lines[i]) : BULLET.exec(lines[i]);
        if (!b) break;
        const indent = b[1].length + (is_ordered ? b[2].length + 2 : 2);
        const body = [b[3]];
        ++i;
        // The item goes on over indented lines and lazy continuation lines.
        while (i < lines.length) {
          const l = lines[i];
          if (!l.trim()) {
            if (i + 1 < lines.length && /^\s+\S/.test(lines[i + 1]) && lines[i + 1].search(/\S/) >= indent) { body.push(''); ++i; continue; }
            break;
          }
          if (l.search(/\S/) >= indent) { body.push(l.slice(indent)); ++i; continue; }
          if (starts_block(l, lines[i + 1])) break;
          body.push(l.trim()); ++i;
        }
        items.push(depth < 8 ? parse_lines(body, depth + 1) : [{ t: 'p', c: parse_inline(body.join('\n')) }]);
        while (i < lines.length && !lines[i].trim() && i + 1 < lines.length && (is_ordered ? ORDERED : BULLET).test(lines[i + 1])) ++i;
      }
      out.push({ t: 'list', ordered: is_ordered, start: ordered ? Number(ordered[2]) : 1, items });
      continue;
    }
    const para: string[] = [line.trim()];
    ++i;
    while (i < lines.length && lines[i].trim() && !starts_block(lines[i], lines[i + 1])) para.push(lines[i++].replace(/^\s+/, ''));
    out.push({ t: 'p', c: parse_inline(para.join('\n')) });
  }
  return out;
}

// The text of inlines (for titles and tests).
export function inline_text(c: Inline[]): string {
  return c.map((x) => x.t === 'text' || x.t === 'code' ? x.v : x.t === 'br' ? '\n' : inline_text(x.c)).join('');
}
