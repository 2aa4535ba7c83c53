// RFC 6120 §4 (XML streams) over ltx's SAX parser: emits the stream header, then one
// Element per top-level stanza. Never expands entities or DTDs: a "<!DOCTYPE" or an
// unknown entity is not-well-formed (RFC 6120 §11.1 restricted XML). A stanza larger
// than maxStanzaBytes is a policy-violation.
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
  /** bytes received since the last complete stanza (guards text that has no tag yet) */
  private stanzaChars = 0;
  private stanzaSize = 0;
  private failed = false;

  /** framing 'tcp': <stream:stream> wraps stanzas; 'websocket': RFC 7395 <open/> and <close/> frames */
  constructor(private readonly maxStanzaBytes: number, private readonly framing: 'tcp' | 'websocket' = 'tcp') {
    super();
    this.sax.on('startElement', (name: string, attrs: Record<string, string>) => this.start(name, attrs));
    this.sax.on('endElement', (name: string) => this.end(name));
    this.sax.on('text', (text: string) => {
      if (!this.stack.length) return;
      this.grow(text.length);
      this.stack[this.stack.length - 1]!.t(text);
    });
  }

  write(chunk: string): void {
    if (this.failed) return;
    if (/<!(?!\[CDATA\[|--)/.test(chunk)) return this.fail('restricted-xml', 'DTDs and entity declarations are not allowed');
    if (/<\?(?!xml[\s?])/i.test(chunk)) return this.fail('restricted-xml', 'processing instructions are not allowed');
    this.stanzaChars += Buffer.byteLength(chunk);
    if (this.stanzaChars > this.maxStanzaBytes && this.stack.length > 0) {
      return this.fail('policy-violation', `stanza larger than ${this.maxStanzaBytes} bytes`);
    }
    try {
      this.sax.write(chunk);
    } catch (err) {
      this.fail('not-well-formed', (err as Error).message);
    }
  }

  private start(name: string, attrs: Record<string, string>): void {
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
    if (this.failed) return;
    const el = this.stack.pop();
    if (!el) {
      if (this.framing === 'tcp' && name === 'stream:stream') return void this.emit('close');
      return this.fail('not-well-formed', `unexpected </${name}>`);
    }
    if (el.name !== name) return this.fail('not-well-formed', `</${name}> closes <${el.name}>`);
    if (this.stack.length > 0) return;
    this.stanzaChars = 0;
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
