// The shared test helper eventually(): it retries until the check holds and fails clearly.
import { expect, it } from 'vitest';
import { eventually } from './helpers/wait.js';

it('retries a predicate or a block of expects until it holds, and returns what it returned', async () => {
  let n = 0;
  expect(await eventually(() => ++n >= 3 && n, { intervalMs: 1 })).toBe(3);
  let m = 0;
  await eventually(() => expect(++m).toBe(4), { intervalMs: 1 });
  expect(m).toBe(4);
  expect(await eventually(() => 0)).toBe(0); // only false, null and undefined mean "not yet"
});

it('fails after the timeout naming what it waited for and the last failure', async () => {
  let tries = 0;
  await expect(eventually(() => { tries++; return false; }, { timeoutMs: 100, intervalMs: 10, what: 'the moon' }))
    .rejects.toThrow(/timed out after 100 ms waiting for the moon: it returned false/);
  expect(tries).toBeGreaterThan(1);
  await expect(eventually(() => expect(1).toBe(2), { timeoutMs: 50, what: () => 'a lazy description' }))
    .rejects.toThrow(/waiting for a lazy description: expected 1 to be 2/);
});
