// Logs: pino, JSON lines. Quiet in tests (NODE_ENV=test) unless LOG_LEVEL says otherwise.
import { pino, type Logger, type LoggerOptions } from 'pino'

export type { Logger }

/** How an app logs: a pino logger, pino options, or `false` for silence. */
export type LoggerSetting = Logger | LoggerOptions | false

/**
 * The app's logger: the one given, or a new pino logger at `LOG_LEVEL`
 * (default `info`; `silent` when `NODE_ENV` is `test`).
 */
export function createLogger(setting: LoggerSetting | undefined): Logger {
  if (setting === false) return pino({ level: 'silent' })
  if (setting && typeof (setting as Logger).child === 'function') return setting as Logger
  const level = process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info')
  return pino({ level, ...(setting as LoggerOptions | undefined) })
}
