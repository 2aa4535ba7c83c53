// Entry point: the only place that reads the environment, listens and handles signals.
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const app = await buildApp(config, logger);
  if (app.generatedAdminPassword) {
    // Printed once, to the terminal only: it is not stored anywhere in clear.
    process.stdout.write(
      `\n  First start: created user "admin" in domain "${config.domain}" with password: ${app.generatedAdminPassword}\n` +
        '  Set ADMIN_PASSWORD to choose it yourself. Change it with the changePassword mutation.\n\n',
    );
  }
  let listening;
  try {
    listening = await app.listen();
  } catch (err) {
    await app.close().catch(() => {}); // a busy port: stop what was started (the embedded PostgreSQL)
    throw err;
  }
  const { url, xmppPort, pbPort } = listening;
  logger.info({ url, xmppPort, pbPort, domain: config.domain, embeddedDatabase: !config.databaseUrl, redis: !!config.redisUrl }, 'listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // the grace period for in-flight work, then some seconds for the rest of the shutdown
    const timer = setTimeout(() => process.exit(1), config.shutdownGraceMs + 10_000);
    timer.unref();
    await app.close().catch((err) => logger.error({ err }, 'error while shutting down'));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`startalk-next failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
