/** A value, or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * A storage routine: a generator that yields each backend call's result
 * (a value or a promise) and gets it back resolved. Written once, it runs
 * synchronously over a synchronous backend (memory: no microtask hop per
 * step) and asynchronously over IndexedDB.
 */
export type Routine<T> = Generator<unknown, T, unknown>;

/** Yields one backend call and returns its result, typed. */
export function* step<T>(value: MaybePromise<T>): Generator<unknown, T, unknown> {
  return (yield value) as T;
}

/** Runs a routine: synchronously for as long as no step returns a promise. */
export function runRoutine<T>(routine: Routine<T>): MaybePromise<T> {
  let next = routine.next();
  while (!next.done) {
    if (next.value instanceof Promise) return finish(routine, next.value);
    next = routine.next(next.value);
  }
  return next.value;
}

async function finish<T>(routine: Routine<T>, pending: Promise<unknown>): Promise<T> {
  let value: unknown = pending;
  for (;;) {
    let next: IteratorResult<unknown, T>;
    if (value instanceof Promise) {
      let resolved: unknown;
      try {
        resolved = await value;
      } catch (error) {
        // A failed step is thrown into the routine, where it may be handled.
        next = routine.throw(error);
        if (next.done) return next.value;
        value = next.value;
        continue;
      }
      next = routine.next(resolved);
    } else {
      next = routine.next(value);
    }
    if (next.done) return next.value;
    value = next.value;
  }
}
