// Subscription execution that renders each event once per operation, not once per
// subscriber: a group message to 500 members subscribed with the same query is executed
// once and the result shared. Safe because nothing reachable from an Event depends on
// the viewer (see schema/event.ts); per-subscriber copies (typing, presence, stamped with
// each subscriber's cursor) are different objects and are rendered on their own.
import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';

type Rendered = ExecutionResult | Promise<ExecutionResult>;

const rendered = new WeakMap<object, Map<string, Rendered>>();

export async function sharedSubscribe(args: ExecutionArgs, key: string): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in (source as object))) return source as ExecutionResult;
  const events = source as AsyncIterableIterator<unknown>;
  const render = (event: unknown): Rendered => {
    if (typeof event !== 'object' || event === null) return execute({ ...args, rootValue: event });
    let byKey = rendered.get(event);
    if (!byKey) rendered.set(event, (byKey = new Map()));
    let r = byKey.get(key);
    if (!r) byKey.set(key, (r = execute({ ...args, rootValue: event })));
    return r;
  };
  const stream: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      const n = await events.next();
      return n.done ? { value: undefined, done: true } : { value: await render(n.value), done: false };
    },
    async return() {
      await events.return?.();
      return { value: undefined, done: true };
    },
    async throw(e?: unknown) {
      await events.return?.();
      throw e;
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}
