// Server-sent events over fetch, not EventSource: EventSource cannot send the
// Authorization header an API key needs. The parser is pure (tested alone).

export interface SseEvent { event: string; data: string }

// Feeds text chunks; calls emit for every complete event. Keeps partial lines.
export class SseParser {
  private buf_ = '';
  private event_ = '';
  private data_: string[] = [];
  constructor(private emit_: (e: SseEvent) => void) {}

  push(chunk: string): void {
    this.buf_ += chunk;
    for (;;) {
      const nl = this.buf_.search(/\r\n|\n|\r/);
      if (nl < 0) break;
      const sep = this.buf_.startsWith('\r\n', nl) ? 2 : 1;
      // a lone \r at the end of a chunk may be the first half of \r\n
      if (sep === 1 && this.buf_[nl] === '\r' && nl === this.buf_.length - 1) break;
      const line = this.buf_.slice(0, nl);
      this.buf_ = this.buf_.slice(nl + sep);
      this.line_(line);
    }
  }

  private line_(line: string): void {
    if (line === '') {
      if (this.data_.length) this.emit_({ event: this.event_ || 'message', data: this.data_.join('\n') });
      this.event_ = ''; this.data_ = [];
      return;
    }
    if (line.startsWith(':')) return; // keep-alive comment
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event_ = value;
    else if (field === 'data') this.data_.push(value);
  }
}
