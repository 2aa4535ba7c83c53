// Time limits of one bridge connection, whatever the transport: a client that has not
// authenticated `authMs` after connecting is closed (trickling bytes does not extend it);
// once authenticated, one that sends nothing for `idleMs` is (anything counts: stanzas,
// whitespace pings, XEP-0199 or Startalk PING IQs, protobuf HeartBeat frames, WebSocket
// pings). Both end with the stream error connection-timeout (protobuf: StreamEnd 102).
import type { Session } from '../session.js';

export interface DeadlineOptions {
  authMs: number;
  /** 0 = no idle limit after authentication */
  idleMs: number;
}

export class ConnectionDeadline {
  private readonly connectedAt = Date.now();
  private lastInbound = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly session: Session, private readonly opts: DeadlineOptions) {
    this.arm(this.beforeAuth(opts.authMs));
    session.onClose(() => clearTimeout(this.timer));
  }

  /** Call on every inbound read: cheap, the timer is re-armed only when it fires. */
  touch(): void {
    this.lastInbound = Date.now();
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.check(), Math.max(1, ms));
    this.timer.unref();
  }

  /** before authentication, look again at least every idleMs: the idle limit starts at login */
  private beforeAuth(ms: number): number {
    return this.opts.idleMs ? Math.min(ms, this.opts.idleMs) : ms;
  }

  private check(): void {
    if (this.session.closed) return;
    const now = Date.now();
    if (!this.session.user) {
      const left = this.connectedAt + this.opts.authMs - now;
      if (left > 0) return this.arm(this.beforeAuth(left));
      return this.session.streamError('connection-timeout', 'not authenticated in time');
    }
    if (this.opts.idleMs === 0) return;
    const left = this.lastInbound + this.opts.idleMs - now;
    if (left > 0) return this.arm(left);
    this.session.streamError('connection-timeout', 'idle for too long');
  }
}
