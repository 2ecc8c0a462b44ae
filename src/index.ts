/**
 * `import 'herold'`: the server entry points for embedding the hub in a program.
 * Build a Config with `resolveConfig` (the same names and defaults as the CLI flags)
 * or `configFromEnv`, then `startHub(config)`; `close()` on the result stops it.
 * The consumer and publisher API is the separate `herold/client` entry.
 */
export { startHub, createLogger, type RunningHub } from './server.js';
export { resolveConfig, configFromEnv, ConfigError, type Config } from './config.js';
