export interface InflightTracker {
  readonly count: number;
  /** Marks a request as started; call the returned function (once) when it is finished. */
  start(): () => void;
  /** Resolves once no request is in flight. */
  idle(): Promise<void>;
}

export function createInflightTracker(): InflightTracker {
  let count = 0;
  let waiters: Array<() => void> = [];
  const settle = () => {
    if (count > 0) return;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };
  return {
    get count() {
      return count;
    },
    start() {
      count += 1;
      let finished = false;
      return () => {
        if (finished) return;
        finished = true;
        count -= 1;
        settle();
      };
    },
    idle() {
      return count === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve));
    },
  };
}
