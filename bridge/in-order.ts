// RFC 6120 §10.1 in-order processing without waiting for commits: a send holds the session's
// stanza order only until the core has fixed its place in the stream; the ack or the error
// goes out when the commit (or refusal) comes.
import type { Ordered } from '../src/core/messages/service.js';

export async function sendInOrder<T>(
  start: (ordered: Ordered) => Promise<T>, done: (result: T) => void, failed: (err: unknown) => void,
): Promise<void> {
  let queued!: () => void;
  const placed = new Promise<void>((r) => (queued = r));
  const finished = start({ onQueued: queued }).then(done, failed);
  await Promise.race([placed, finished]);
}
