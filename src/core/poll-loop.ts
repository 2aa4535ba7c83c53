// A background loop for workers (push, webhooks): run `tick`, wait `pollMs`, again; a failing
// tick is reported and the loop goes on; stop() waits for the tick in progress.
export class PollLoop {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;

  constructor(private readonly pollMs: number, private readonly tick: () => Promise<void>, private readonly onError: (err: unknown) => void) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      this.running = true;
      try {
        await this.tick();
      } catch (err) {
        this.onError(err);
      } finally {
        this.running = false;
      }
      if (!this.stopped) this.timer = setTimeout(loop, this.pollMs);
    };
    this.timer = setTimeout(loop, this.pollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 20));
  }
}
