// Structured logging (pino, JSON lines on stderr) shared by every module.
import pino from 'pino';

export const log = pino(
  { level: process.env.SKEIN_LOG_LEVEL ?? 'info', base: { svc: 'skein' } },
  pino.destination(2),
);

export type Logger = typeof log;
