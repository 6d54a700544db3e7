// Logs: pino, JSON lines. Quiet in tests (NODE_ENV=test) unless LOG_LEVEL says otherwise.
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino'

export type { Logger }

/** How an app logs: a pino logger, pino options, or `false` for silence. */
export type LoggerSetting = Logger | LoggerOptions | false

/**
 * The app's logger: the one given, or a new pino logger at `LOG_LEVEL` (default `info`; `silent`
 * when `NODE_ENV` is `test`) writing to stdout, or to the file `LOG_FILE` names. Lines are written
 * without blocking the event loop, gathered for up to 50 ms (or 16 KiB) and written together;
 * what is left is written when the process exits.
 * @example const log = createLogger({ level: 'debug' })
 */
export function createLogger(setting: LoggerSetting | undefined): Logger {
  if (setting === false) return pino({ level: 'silent' })
  if (setting && typeof (setting as Logger).child === 'function') return setting as Logger
  const options = setting as LoggerOptions | undefined
  const level = process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info')
  // a transport in the options (pino-pretty in development) writes on its own thread
  if (options?.transport || (options?.level ?? level) === 'silent') return pino({ level, ...options })
  const batch = destination()
  const logger = pino({ level, ...options }, batch)
  // pino's own options (formatters, mixins, redaction, a message key...) change what a line
  // holds: only a logger made with a level alone has lines the request line can write itself
  if (options === undefined || Object.keys(options).every((key) => key === 'level')) plainLoggers.set(logger, batch)
  return logger
}

/**
 * Writes the line of one answered request, as `log.info({ requestId, method, path, route, status,
 * ms }, 'Request')` would: the same bytes, at the same level.
 */
export type RequestLine = (requestId: string, method: string, path: string, route: string | undefined, status: number, ms: number) => void

// printable ASCII but `"` and `\`: a JSON string as it stands (most paths, every method and id)
const NEEDS_NO_ESCAPE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

function quoted(text: string): string {
  return NEEDS_NO_ESCAPE.test(text) ? '"' + text + '"' : JSON.stringify(text)
}

// the loggers createLogger made with no pino option but their level, and where they write
const plainLoggers = new WeakMap<Logger, LineBatch>()

/**
 * The app's request line. For a logger {@link createLogger} made with nothing but a level, the
 * line is written straight into its batch of lines: it costs a quarter of what pino's general
 * path does (every field looked up for a serializer, every value stringified through it), and on
 * a small answer pino's path cost a fifth of the whole request. Any other logger goes through
 * `log.info`.
 */
export function requestLine(log: Logger): RequestLine {
  const batch = plainLoggers.get(log)
  if (!batch) return (requestId, method, path, route, status, ms) => log.info({ requestId, method, path, route, status, ms }, 'Request')
  const info = log.levels.values.info!
  // `,"pid":…,"hostname":"…"`: the logger's bindings, already JSON
  const bindings = (log as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? ''
  const head = `{"level":${info},"time":`
  return (requestId, method, path, route, status, ms) => {
    // the level can be raised while the app runs; pino then writes nothing, and neither does this
    if (log.levelVal > info) return
    const routePart = route === undefined ? '' : ',"route":' + quoted(route)
    batch.write(head + Date.now() + bindings + ',"requestId":' + quoted(requestId) + ',"method":' + quoted(method) + ',"path":' + quoted(path) + routePart + ',"status":' + status + ',"ms":' + ms + ',"msg":"Request"}\n')
  }
}

function destination(): LineBatch {
  const file = process.env.LOG_FILE
  const writer = pino.destination({ dest: file && file !== '' ? file : 1, sync: false, mkdir: true, contentMode: 'buffer' })
  return new LineBatch(writer as unknown as ByteWriter)
}

/** pino's file writer in its `buffer` content mode, where it takes bytes (its types say text only). */
interface ByteWriter {
  write(chunk: Buffer): boolean
  flush(callback?: (error?: Error) => void): void
  flushSync(): void
}

// what is still gathered when the process exits goes out with the writer's last flush; held
// weakly, so that a logger nobody uses any more is not kept for it
const openBatches = new Set<WeakRef<LineBatch>>()
function flushAtExit(): void {
  for (const ref of openBatches) ref.deref()?.flushSync()
}

// Log lines gathered and handed to the file writer (sonic-boom) together, once 16 KiB are
// waiting or 50 ms after the first, so that a busy service makes a few hundred writes a second
// rather than one per request: each write is a hand-off to the thread pool that costs the event
// loop microseconds. Each line is encoded once, into the batch's buffer; given to the writer as
// text, it would be appended to the writer's pending text, which is then measured in bytes and
// copied again for every line. Logs still read as live.
const BATCH_BYTES = 16 * 1024
const BATCH_CAPACITY = 2 * BATCH_BYTES
const BATCH_MS = 50

class LineBatch implements DestinationStream {
  private buffer = Buffer.allocUnsafe(BATCH_CAPACITY)
  private used = 0
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly writer: ByteWriter) {
    if (openBatches.size === 0) process.once('exit', flushAtExit)
    openBatches.add(new WeakRef(this))
  }

  write(line: string): void {
    // room for the line at its longest in UTF-8, without measuring it first
    const room = line.length * 3
    if (this.used + room > this.buffer.length) {
      this.handOver()
      if (room > this.buffer.length) return void this.writer.write(Buffer.from(line))
    }
    this.used += this.buffer.write(line, this.used)
    if (this.used >= BATCH_BYTES) this.handOver()
    else if (this.timer === undefined) this.timer = setTimeout(this.handOver, BATCH_MS).unref()
  }

  /** Hands the gathered lines over, then calls back once they are written (pino's `logger.flush`). */
  flush(callback?: (error?: Error) => void): void {
    this.handOver()
    this.writer.flush(callback)
  }

  /** Writes everything now, blocking: for the process's last moments. */
  flushSync(): void {
    try {
      this.handOver()
      this.writer.flushSync()
    } catch {
      // not open yet, or already closed: nothing more can be written
    }
  }

  private readonly handOver = (): void => {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.used === 0) return
    const written = this.buffer.subarray(0, this.used)
    // the writer keeps what it is given until it is written: the next lines go to a new buffer
    this.buffer = Buffer.allocUnsafe(BATCH_CAPACITY)
    this.used = 0
    this.writer.write(written)
  }
}
