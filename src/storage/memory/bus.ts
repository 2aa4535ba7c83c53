// In-process Bus: the single-node default. Delivery is synchronous, in publish order.
import type { Bus } from '../../core/events/ports.js';
import type { Envelope } from '../../core/events/types.js';

export function createMemoryBus(): Bus {
  const handlers = new Set<(env: Envelope) => void>();
  return {
    publish(env) {
      for (const h of handlers) h(env);
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    isReady: () => true,
    async close() {
      handlers.clear();
    },
  };
}
