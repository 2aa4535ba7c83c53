// Structured logs. Secrets are redacted by key wherever they appear.
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'startalk-next' },
    redact: {
      paths: [
        'password', '*.password', 'token', '*.token', 'authorization', '*.authorization',
        'headers.authorization', 'headers.cookie', 'req.headers.authorization', 'req.headers.cookie',
        'databaseUrl', 'redisUrl', 'adminPassword', '*.databaseUrl', '*.redisUrl', '*.adminPassword',
      ],
      censor: '[redacted]',
    },
  });
}

export type { Logger };
