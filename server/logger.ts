import pino, { type Logger } from 'pino';

/**
 * The server's structured logger. Redacts anything that could carry a
 * password, token or message body, should one ever be logged by mistake.
 */
export function createLogger(level: string, destination: number = 2): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          'password',
          'token',
          'body',
          '*.password',
          '*.token',
          '*.body',
          'req.headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination(destination),
  );
}
