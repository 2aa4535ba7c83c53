// RFC 6120 §4 (XML streams) over ltx's SAX parser: emits the stream header, then one
// Element per top-level stanza. Never expands entities or DTDs: a "<!DOCTYPE" or an
// unknown entity is not-well-formed (RFC 6120 §11.1 restricted XML). A stanza larger
// than maxStanzaBytes is a policy-violation, and so is more than maxStanzaBytes of input
// the SAX parser holds without an event: an unfinished tag or attribute, text with no
// '<' (inside a stanza or between stanzas). ltx keeps such input in a string it grows on
// every write, so without this bound one connection could make it any size.
import { EventEmitter } from 'node:events';
import { Element } from 'ltx';
import SaxLtx from 'ltx/lib/parsers/ltx.js';

export type StreamErrorCondition = 'not-well-formed' | 'policy-violation' | 'restricted-xml';

export interface StreamParserEvents {
  open: [attrs: Record<string, string>];
  stanza: [el: Element];
  close: [];
  error: [condition: StreamErrorCondition, text: string];
}

export class StreamParser extends EventEmitter<StreamParserEvents> {
  private readonly sax = new SaxLtx();
  private stack: Element[] = [];
  private opened = false;
  /**
   * An upper bound of the input ltx holds unparsed: bytes written since its last event.
   * Input goes in in slices of at most `slice` characters, so after a slice with an event
   * at most that slice is still held.
   */
  private pending = 0;
  private sawEvent = false;
  private readonly slice: number;
  private stanzaSize = 0;
  private failed = false;

  /** framing 'tcp': <stream:stream> wraps stanzas; 'websocket': RFC 7395 <open/> and <close/> frames */
  constructor(private readonly maxStanzaBytes: number, private readonly framing: 'tcp' | 'websocket' = 'tcp') {
    super();
    this.slice = Math.max(256, Math.floor(maxStanzaBytes / 4));
    this.sax.on('startElement', (name: string, attrs: Record<string, string>) => this.start(name, attrs));
    this.sax.on('endElement', (name: string) => this.end(name));
    this.sax.on('text', (text: string) => {
      this.sawEvent = true;
      if (!this.stack.length) return;
      this.grow(text.length);
      this.stack[this.stack.length - 1]!.t(text);
    });
  }

  write(chunk: string): void {
    if (this.failed) return;
    if (/<!(?!\[CDATA\[|--)/.test(chunk)) return this.fail('restricted-xml', 'DTDs and entity declarations are not allowed');
    if (/<\?(?!xml[\s?])/i.test(chunk)) return this.fail('restricted-xml', 'processing instructions are not allowed');
    for (let at = 0; at < chunk.length && !this.failed; at += this.slice) {
      const part = chunk.length <= this.slice ? chunk : chunk.slice(at, at + this.slice);
      this.sawEvent = false;
      try {
        this.sax.write(part);
      } catch (err) {
        return this.fail('not-well-formed', (err as Error).message);
      }
      const bytes = Buffer.byteLength(part);
      this.pending = this.sawEvent ? bytes : this.pending + bytes;
      // the slack of one slice: the bound counts a whole slice where an event came part-way
      if (this.pending > this.maxStanzaBytes + this.slice) {
        return this.fail('policy-violation', `more than ${this.maxStanzaBytes} bytes without a complete tag or text`);
      }
    }
  }

  private start(name: string, attrs: Record<string, string>): void {
    this.sawEvent = true;
    if (this.failed) return;
    if (this.framing === 'tcp' && !this.opened) {
      if (name !== 'stream:stream') return this.fail('not-well-formed', 'expected <stream:stream>');
      this.opened = true;
      this.emit('open', attrs);
      return;
    }
    if (this.framing === 'websocket' && this.stack.length === 0 && (name === 'open' || name === 'close')) {
      this.stack.push(new Element(name, attrs)); // framing element, handled on end
      return;
    }
    let size = name.length * 2 + 5;
    for (const k in attrs) size += k.length + (attrs[k]?.length ?? 0) + 4;
    this.grow(size);
    const el = new Element(name, attrs);
    const parent = this.stack[this.stack.length - 1];
    if (parent) parent.cnode(el);
    this.stack.push(el);
  }

  private end(name: string): void {
    this.sawEvent = true;
    if (this.failed) return;
    const el = this.stack.pop();
    if (!el) {
      if (this.framing === 'tcp' && name === 'stream:stream') return void this.emit('close');
      return this.fail('not-well-formed', `unexpected </${name}>`);
    }
    if (el.name !== name) return this.fail('not-well-formed', `</${name}> closes <${el.name}>`);
    if (this.stack.length > 0) return;
    this.stanzaSize = 0;
    if (this.failed) return;
    if (this.framing === 'websocket' && (el.name === 'open' || el.name === 'close') && !el.parent) {
      if (el.name === 'open') this.emit('open', el.attrs as Record<string, string>);
      else this.emit('close');
      return;
    }
    this.emit('stanza', el);
  }

  /** Size of the stanza being parsed, counted as it is built (chunks may hold many stanzas). */
  private grow(n: number): void {
    this.stanzaSize += n;
    if (this.stanzaSize > this.maxStanzaBytes) this.fail('policy-violation', `stanza larger than ${this.maxStanzaBytes} bytes`);
  }

  private fail(condition: StreamErrorCondition, text: string): void {
    if (this.failed) return;
    this.failed = true;
    this.emit('error', condition, text);
  }
}
