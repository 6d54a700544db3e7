// Logs: pino, JSON lines. Quiet in tests (NODE_ENV=test) unless LOG_LEVEL says otherwise.
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino'

export type { Logger }

/** How an app logs: a pino logger, pino options, or `false` for silence. */
export type LoggerSetting = Logger | LoggerOptions | false

/**
 * The app's logger: the one given, or a new pino logger at `LOG_LEVEL` (default `info`; `silent`
 * when `NODE_ENV` is `test`) writing to stdout, or to the file `LOG_FILE` names. Lines are written
 * without blocking the event loop: while one write is in flight, the next lines gather and go out
 * together (pino flushes what is left when the process exits).
 * @example const log = createLogger({ level: 'debug' })
 */
export function createLogger(setting: LoggerSetting | undefined): Logger {
  if (setting === false) return pino({ level: 'silent' })
  if (setting && typeof (setting as Logger).child === 'function') return setting as Logger
  const options = setting as LoggerOptions | undefined
  const level = process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info')
  // a transport in the options (pino-pretty in development) writes on its own thread
  if (options?.transport || (options?.level ?? level) === 'silent') return pino({ level, ...options })
  return pino({ level, ...options }, destination())
}

function destination(): DestinationStream {
  const file = process.env.LOG_FILE
  return pino.destination({ dest: file && file !== '' ? file : 1, sync: false, mkdir: true })
}
