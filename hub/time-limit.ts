/** Thrown by withTimeout when the promise did not settle in time. */
export class TimedOut extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "TimedOut";
  }
}

/**
 * The promise's outcome, or a TimedOut rejection after `ms`. The promise itself goes on (nothing here can cancel
 * it): for calls that may hang on a peer that is down (a DNS lookup, Redis while it is unreachable).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut(ms)), ms);
  });
  // A late rejection of the original promise is nobody's to handle any more.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
