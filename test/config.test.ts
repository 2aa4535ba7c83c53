// Configuration is validated as a whole, with one clear message per bad value.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/server/config.js';

describe('loadConfig', () => {
  it('has defaults that need nothing else', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, domain: 'localhost', databaseUrl: undefined, redisUrl: undefined, graphiql: true });
    expect(c.limits.maxMessageBytes).toBeGreaterThan(0);
  });

  it('reports every bad value at once, without echoing secrets', () => {
    let err: ConfigError | undefined;
    try {
      loadConfig({
        PORT: 'eighty', DATABASE_URL: 'mysql://u:s3cret@h/db', REDIS_URL: 'nope', DOMAIN: 'bad domain',
        ADMIN_PASSWORD: 'short', LOG_LEVEL: 'loud', GRAPHIQL: 'maybe', MAX_QUERY_DEPTH: '1',
      });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems).toHaveLength(8);
    const text = err!.message;
    for (const k of ['PORT', 'DATABASE_URL', 'REDIS_URL', 'DOMAIN', 'ADMIN_PASSWORD', 'LOG_LEVEL', 'GRAPHIQL', 'MAX_QUERY_DEPTH']) {
      expect(text).toContain(k);
    }
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('short');
  });

  it('accepts valid values', () => {
    const c = loadConfig({ PORT: '9000', DATABASE_URL: 'postgresql://u@h/db', REDIS_URL: 'redis://h:6379', DOMAIN: 'im.example.com' });
    expect(c).toMatchObject({ port: 9000, domain: 'im.example.com', redisUrl: 'redis://h:6379' });
  });

  it('reads the connection limits: per-address count, exempt addresses, auth and idle timeouts', () => {
    const c = loadConfig({
      MAX_CONNECTIONS_PER_IP: '5', CONNECTION_LIMIT_EXEMPT: '10.0.0.1, ::1', AUTH_TIMEOUT_SECONDS: '20', IDLE_TIMEOUT_SECONDS: '0',
      GRAPHQL_WS_INIT_TIMEOUT_MS: '5000',
    });
    expect(c.limits).toMatchObject({
      maxConnectionsPerIp: 5, connectionLimitExempt: ['10.0.0.1', '::1'], authTimeoutSeconds: 20, idleTimeoutSeconds: 0, graphqlWsInitTimeoutMs: 5000,
    });
    expect(loadConfig({}).limits).toMatchObject({ maxConnectionsPerIp: 100, connectionLimitExempt: [], authTimeoutSeconds: 60, idleTimeoutSeconds: 600 });
    expect(() => loadConfig({ CONNECTION_LIMIT_EXEMPT: 'proxy.local', AUTH_TIMEOUT_SECONDS: '0' })).toThrow(/CONNECTION_LIMIT_EXEMPT[\s\S]*AUTH_TIMEOUT_SECONDS|AUTH_TIMEOUT_SECONDS[\s\S]*CONNECTION_LIMIT_EXEMPT/);
  });
});
