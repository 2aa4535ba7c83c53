// Committed changes of users and groups, told in-process to whoever keeps a derived view
// (the search index). Local on purpose: the node that made a change reports it once, so a
// cluster indexes each change once; a crash between commit and report is what the full
// reindex (`npm run search:reindex`) recovers from.
import type { User } from '../accounts/types.js';
import type { EventOf } from './types.js';

export type Change =
  /** created, or any field changed (rename, freeze, department…) */
  | { kind: 'user.changed'; user: User; at: number }
  | EventOf<'group.members'>
  | EventOf<'group.updated'>
  | EventOf<'group.destroyed'>;

export type ChangeListener = (change: Change) => Promise<void> | void;

export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();

  constructor(private readonly onError: (err: unknown, change: Change) => void = () => {}) {}

  /** Registers a listener; returns its removal. */
  on(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Tells every listener, in turn, and waits for them. The change is already committed:
   * a failing listener is reported, never thrown back at the caller.
   */
  async emit(change: Change): Promise<void> {
    for (const l of this.listeners) {
      try {
        await l(change);
      } catch (err) {
        this.onError(err, change);
      }
    }
  }
}
