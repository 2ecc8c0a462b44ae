/**
 * A progress bar on stderr for long CLI operations. On a terminal it redraws
 * one line; otherwise (CI, pipes) it prints a line every few seconds.
 */
export class Progress {
  private done = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(
    private readonly total: number | undefined,
    private readonly unit: string,
  ) {}

  add(n: number): void {
    this.done += n;
    const now = Date.now();
    if (now - this.lastDraw >= (this.tty ? 100 : 2000)) this.draw(now);
  }

  finish(): void {
    this.draw(Date.now());
    if (this.tty) process.stderr.write('\n');
  }

  private draw(now: number): void {
    this.lastDraw = now;
    const secs = Math.max(0.001, (now - this.started) / 1000);
    const rate = Math.round(this.done / secs);
    let line: string;
    if (this.total) {
      const ratio = Math.min(1, this.done / this.total);
      const width = 30;
      const filled = Math.round(ratio * width);
      const eta = rate > 0 ? Math.ceil((this.total - this.done) / rate) : 0;
      line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${this.done.toLocaleString('en')}/${this.total.toLocaleString('en')} ${this.unit} ${rate.toLocaleString('en')}/s ETA ${eta}s`;
    } else {
      line = `${this.done.toLocaleString('en')} ${this.unit} ${rate.toLocaleString('en')}/s`;
    }
    process.stderr.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }
}
