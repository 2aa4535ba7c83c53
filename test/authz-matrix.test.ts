// Issue 14: the authorization matrix of the GraphQL API. Every root field of the built schema
// must have a case in test/authz/graphql-table.ts (a new operation without one fails here);
// each case is run as every principal (test/authz/principals.ts) and its outcome compared.
// A `hidden` refusal must be indistinguishable from the answer for an id that does not exist.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../src/graphql/schema/index.js';
import type { GqlResult } from './helpers/app.js';
import { setupFixtures, type Fx } from './authz/fixtures.js';
import { GRAPHQL_CASES, KNOWN_HOLES, cellName, type Case } from './authz/graphql-table.js';
import { PRINCIPALS, type Outcome, type Principal } from './authz/principals.js';

/** AUTHZ_STRICT=1 runs the known holes as plain cells (to see what they answer today) */
const HOLES: Record<string, string> = process.env.AUTHZ_STRICT ? {} : KNOWN_HOLES;

let fx: Fx;
beforeAll(async () => {
  fx = await setupFixtures();
}, 120_000);
afterAll(async () => {
  await fx?.close();
});

const kindOf = (c: Case) => (c.doc.trimStart().startsWith('subscription') ? 'subscription' : 'other');

function subscribeOnce(c: Case, p: Principal, vars: Record<string, unknown>, token: string | undefined): Promise<GqlResult> {
  const client = fx.t.ws(token);
  return new Promise<GqlResult>((resolve) => {
    let done = false;
    const finish = (r: Omit<GqlResult, 'status'>) => {
      if (done) return;
      done = true;
      stop();
      resolve({ status: 0, ...r });
    };
    const stop = client.subscribe({ query: c.doc, variables: vars }, {
      next: (v) => finish(v.errors?.length ? { errors: v.errors as GqlResult['errors'] } : { data: v.data }),
      error: (e) => {
        if (Array.isArray(e)) return finish({ errors: e });
        const close = e as { code?: number; reason?: string };
        // graphql-ws: 4401 Unauthorized, 4403 Forbidden
        const code = close.code === 4401 ? 'UNAUTHENTICATED' : close.code === 4403 ? 'FORBIDDEN' : 'CLOSED';
        finish({ errors: [{ message: `closed ${close.code} ${close.reason ?? String(e)}`, extensions: { code } }] });
      },
      complete: () => finish({ errors: [{ message: 'completed without an event' }] }),
    });
    void (async () => {
      for (let i = 0; i < 50 && !done; i++) {
        // a trigger that fails leaves the cell without its event, which the cell reports
        if (c.trigger && i % 4 === 1) await c.trigger(fx, p).catch(() => {});
        await new Promise((r) => setTimeout(r, 100));
      }
      finish({ errors: [{ message: 'no event and no error' }] });
    })();
  });
}

async function call(c: Case, p: Principal, vars: Record<string, unknown>): Promise<GqlResult> {
  const token = c.token ? await c.token(fx, p) : fx.tokens[p];
  return kindOf(c) === 'subscription' ? subscribeOnce(c, p, vars, token) : fx.t.gql(c.doc, vars, token);
}

const classify = (r: GqlResult): Outcome | string => {
  if (!r.errors?.length) return 'ok';
  const code = r.errors[0]!.extensions?.code;
  return ({ UNAUTHENTICATED: 'unauth', FORBIDDEN: 'forbidden', NOT_FOUND: 'hidden', BAD_USER_INPUT: 'bad' } as Record<string, Outcome>)[code ?? ''] ?? `${code}: ${r.errors[0]!.message}`;
};

/** what a client can see of a refusal, with the ids it was given blanked out */
function shape(r: GqlResult, vars: Record<string, unknown>) {
  let text = JSON.stringify({ data: r.data ?? null, errors: r.errors?.map((e) => ({ message: e.message, extensions: e.extensions })) });
  for (const v of Object.values(vars)) if (typeof v === 'string' && v.length > 2) text = text.split(v).join('<arg>');
  return JSON.parse(text);
}

async function runCell(c: Case, p: Principal) {
  const expected = c.expect[p];
  const vars = c.vars ? await c.vars(fx, p) : {};
  const r = await call(c, p, vars);
  const got = classify(r);
  expect(got, `${cellName(c, p)}: ${JSON.stringify(r.errors ?? r.data).slice(0, 400)}`).toBe(expected);
  if (expected === 'hidden') {
    expect(c.missing, `${c.op}: a hidden refusal needs a "missing" call to compare with`).toBeDefined();
    const mv = c.missing!(fx, vars);
    const m = await call(c, p, mv);
    expect(shape(r, vars), 'the refusal looks exactly like "not found"').toEqual(shape(m, mv));
  }
  if (expected === 'ok' && c.check) await c.check(fx, p, r.data, vars);
}

describe('every GraphQL operation has a row in the matrix', () => {
  const fields = (['Query', 'Mutation', 'Subscription'] as const).flatMap((t) =>
    Object.keys(schema.getType(t) && 'getFields' in schema.getType(t)! ? (schema.getType(t) as any).getFields() : {}));
  it('lists every root field of the schema, and nothing else', () => {
    const covered = new Set(GRAPHQL_CASES.map((c) => c.op));
    expect(fields.filter((f) => !covered.has(f)), 'operations without a row').toEqual([]);
    expect([...covered].filter((f) => !fields.includes(f)), 'rows of operations that do not exist').toEqual([]);
    expect(fields.length).toBeGreaterThan(50);
  });
  it('names only cells that exist as known holes', () => {
    const names = new Set(GRAPHQL_CASES.flatMap((c) => PRINCIPALS.map((p) => cellName(c, p))));
    expect(Object.keys(KNOWN_HOLES).filter((k) => !names.has(k))).toEqual([]);
  });
});

describe.concurrent('GraphQL authorization matrix', () => {
  for (const c of GRAPHQL_CASES.filter((x) => !x.last)) {
    for (const p of PRINCIPALS) {
      const name = cellName(c, p);
      (HOLES[name] ? it.fails : it)(`${name} → ${c.expect[p]}${HOLES[name] ? ` [KNOWN HOLE: ${HOLES[name]}]` : ''}`, () => runCell(c, p), 30_000);
    }
  }
});

// these revoke the principal's other sessions: after everything else, one at a time
describe('GraphQL authorization matrix (session-revoking operations, last)', () => {
  for (const c of GRAPHQL_CASES.filter((x) => x.last)) {
    for (const p of PRINCIPALS) {
      const name = cellName(c, p);
      (HOLES[name] ? it.fails : it)(`${name} → ${c.expect[p]}`, () => runCell(c, p), 30_000);
    }
  }
});
