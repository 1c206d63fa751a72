// Runs queued synchronous jobs one per turn of the event loop. Creating a container blocks the
// main thread for a moment (clone, the first system calls of its set-up); when fifty start requests
// arrive together, libuv hands them all over in one poll phase, and fifty creations in a row would
// stall every other request behind them. Queued here, each creation is followed by a full turn of
// the loop, so `ps`, exits and stop timers are served between any two.

export class OnePerTurn {
  private readonly jobs: Array<() => void> = [];
  private scheduled = false;

  run<T>(job: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.jobs.push(() => {
        try {
          resolve(job());
        } catch (err) {
          reject(err);
        }
      });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.jobs.length === 0) return;
    this.scheduled = true;
    // setTimeout(0) rather than setImmediate: a timer goes round the whole loop (poll phase
    // included) before the next job, where immediates queued together would all run in one phase.
    setTimeout(() => {
      this.scheduled = false;
      this.jobs.shift()?.();
      this.schedule();
    }, 0);
  }
}
