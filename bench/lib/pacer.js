// Open-loop pacing: every millisecond, send however many messages are due by
// now at `rate` per second (about 2 per tick at 2,000/s). A late tick catches up
// in a burst rather than silently lowering the rate.
export function pace(rate, durationMs, send) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let sent = 0;
    const timer = setInterval(() => {
      const elapsed = performance.now() - t0;
      const due = Math.floor((Math.min(elapsed, durationMs) * rate) / 1000);
      try {
        while (sent < due) send(sent++);
      } catch (error) {
        clearInterval(timer);
        reject(error);
        return;
      }
      if (elapsed >= durationMs) {
        clearInterval(timer);
        resolve({ sent, seconds: (performance.now() - t0) / 1000 });
      }
    }, 1);
  });
}
