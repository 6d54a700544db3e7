// The HTTP server behind `app.listen()`: Node's server with timeouts that stop slow clients
// within seconds (headers, body progress, keep-alive) and a stop with a deadline. Defaults come
// from the listen options, else the app's settings (SERVER_SETTINGS), else the table in README's
// "Limits and timeouts".
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http'
import { Type as t } from 'typebox'
import type { Logger } from 'pino'
import { watchBodyProgress, type BodyProgressWatch } from './body-progress.js'
import { ConnectionTracker, type ShutdownOutcome } from './shutdown.js'
import { TrefoilError } from './trefoil-error.js'

/** How a listening server treats slow clients, and how long its stop may take. */
export interface ServerLimits {
  /**
   * Time to receive a request's headers, from its first byte; a connection that sends nothing
   * is closed after it too. Default 20 000 ms.
   */
  headersTimeoutMs?: number
  /** How long an idle keep-alive connection is kept between requests. Default 5 000 ms. */
  keepAliveTimeoutMs?: number
  /**
   * The body-progress window: while the server waits for a body, each window must bring
   * `minBodyRate` bytes a second on average, or the answer is 408. Default 15 000 ms; 0 turns
   * the rule off.
   */
  bodyTimeoutMs?: number
  /** Bytes a second a body must average over each window (default 240, as ASP.NET Core's Kestrel). */
  minBodyRate?: number
  /**
   * Time to receive a whole request, headers and body. Default 0, none: a large upload over a
   * slow link is legitimate, and the body-progress rule cuts one that stalls.
   */
  requestTimeoutMs?: number
  /**
   * On `app.close()`, how long in-flight requests may take to finish before their connections
   * are cut (idle and half-sent connections close at once). Default 10 000 ms.
   */
  shutdownTimeoutMs?: number
  /**
   * On `app.close()`, how long to go on serving every request (each answer with
   * `Connection: close`) while the readiness check answers 503, before the stop proper: long
   * enough for a load balancer's health check to take the instance out (its interval × the
   * failures it needs). Counted within `shutdownTimeoutMs`. Default 0.
   */
  drainMs?: number
}

/**
 * The server limits as settings, to spread into an app's settings schema; `listen()` reads them
 * when its options leave a limit out.
 * @example export const settings = defineSettings(t.Object({ ...SERVER_SETTINGS, PORT: t.Integer({ default: 8000 }) }))
 */
export const SERVER_SETTINGS = {
  /** In-flight requests' time to finish on SIGTERM before they are cut, in ms (default 10 000). */
  SHUTDOWN_TIMEOUT_MS: t.Optional(t.Integer({ minimum: 0 })),
  /** On SIGTERM, time to go on serving while readiness answers 503, within SHUTDOWN_TIMEOUT_MS, in ms (default 0; behind a load balancer, its check interval × fall). */
  SHUTDOWN_DRAIN_MS: t.Optional(t.Integer({ minimum: 0 })),
  /** Time to receive a request's headers, in ms (default 20 000). */
  HEADERS_TIMEOUT_MS: t.Optional(t.Integer({ minimum: 1 })),
  /** Idle time of a keep-alive connection, in ms (default 5 000; behind a load balancer, more than its idle timeout). */
  KEEP_ALIVE_TIMEOUT_MS: t.Optional(t.Integer({ minimum: 0 })),
  /** The body-progress window, in ms (default 15 000; 0 for none). */
  BODY_TIMEOUT_MS: t.Optional(t.Integer({ minimum: 0 })),
  /** Bytes a second a request body must average over each window (default 240). */
  MIN_BODY_RATE: t.Optional(t.Integer({ minimum: 0 })),
}

const DEFAULTS: Required<ServerLimits> = {
  headersTimeoutMs: 20_000,
  keepAliveTimeoutMs: 5_000,
  bodyTimeoutMs: 15_000,
  minBodyRate: 240,
  requestTimeoutMs: 0,
  shutdownTimeoutMs: 10_000,
  drainMs: 0,
}

const FROM_SETTINGS: Record<string, keyof ServerLimits> = {
  SHUTDOWN_TIMEOUT_MS: 'shutdownTimeoutMs',
  SHUTDOWN_DRAIN_MS: 'drainMs',
  HEADERS_TIMEOUT_MS: 'headersTimeoutMs',
  KEEP_ALIVE_TIMEOUT_MS: 'keepAliveTimeoutMs',
  BODY_TIMEOUT_MS: 'bodyTimeoutMs',
  MIN_BODY_RATE: 'minBodyRate',
}

/** Where to listen, and the limits to serve with. */
export interface HttpListenOptions extends ServerLimits {
  port: number
  host: string
}

interface Serving {
  readonly owner: object
  readonly limits: Required<ServerLimits>
  readonly tracker: ConnectionTracker
  readonly bodies: BodyProgressWatch
  readonly log: Logger
}

const servings = new WeakMap<Server, Serving>()
const byOwner = new WeakMap<object, Serving>()
const outcomes = new WeakMap<object, ShutdownOutcome>()

/** The limits in force: the options', else the settings', else the defaults. */
export function serverLimits(options: ServerLimits, settings: unknown): Required<ServerLimits> {
  const limits: Required<ServerLimits> = { ...DEFAULTS }
  const values = (typeof settings === 'object' && settings !== null ? settings : {}) as Record<string, unknown>
  for (const [name, key] of Object.entries(FROM_SETTINGS)) {
    const value = values[name]
    if (typeof value === 'number') limits[key] = value
  }
  for (const key of Object.keys(DEFAULTS) as (keyof ServerLimits)[]) {
    const value = options[key]
    if (value === undefined) continue
    if (!Number.isInteger(value) || value < 0) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Cannot listen with ${key} ${String(value)}: give a whole number of at least 0`)
    limits[key] = value
  }
  // Node refuses a header timeout longer than the whole request's: the shorter one rules anyway
  if (limits.requestTimeoutMs > 0 && limits.headersTimeoutMs > limits.requestTimeoutMs) limits.headersTimeoutMs = limits.requestTimeoutMs
  return limits
}

/**
 * Creates the server for `handler` with the limits, and resolves once it listens. `owner` (the
 * app) is what {@link shutdownOutcome} is asked about later; `servesWhileStopping` picks the
 * requests still handed to `handler` once a stop has begun (health checks), the rest being
 * answered 503.
 */
export async function listenHttp(owner: object, handler: RequestListener, options: HttpListenOptions, settings: unknown, log: Logger, servesWhileStopping?: (req: IncomingMessage) => boolean): Promise<Server> {
  const limits = serverLimits(options, settings)
  const bodies = watchBodyProgress({ windowMs: limits.bodyTimeoutMs, minBytesPerSecond: limits.minBodyRate }, log)
  const tracker = new ConnectionTracker(servesWhileStopping)
  // one listener for every answer of this server (`this` is the response), not a closure each
  const onAnswered = function (this: ServerResponse): void {
    tracker.end(this)
    bodies.untrack(this)
  }
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the header and request timeouts this often (its default, 30 s, would let a
      // 20 s limit run to 50 s)
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    (req, res) => {
      res.on('close', onAnswered)
      if (!tracker.begin(req, res)) return
      bodies.track(req, res)
      handler(req, res)
    },
  )
  tracker.watch(server)
  server.listen(options.port, options.host)
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
    })
  } catch (error) {
    bodies.stop()
    throw error
  }
  const serving = { owner, limits, tracker, bodies, log }
  servings.set(server, serving)
  byOwner.set(owner, serving)
  return server
}

/**
 * Stops a server made by {@link listenHttp}: drains first when `drainMs` says so, then closes idle
 * and half-sent connections at once, gives in-flight requests the rest of the shutdown deadline
 * (answering new requests 503 meanwhile, but for the health checks), then cuts them (and logs it).
 */
export async function closeHttp(server: Server): Promise<ShutdownOutcome> {
  const serving = servings.get(server)
  if (!serving) {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    return { cut: [], ms: 0 }
  }
  try {
    const outcome = await serving.tracker.stop(server, serving.limits.shutdownTimeoutMs, serving.log, { drainMs: serving.limits.drainMs })
    outcomes.set(serving.owner, outcome)
    return outcome
  } finally {
    serving.bodies.stop()
    servings.delete(server)
  }
}

/** How the last stop of `owner`'s server went, once it has stopped. */
export function shutdownOutcome(owner: object): ShutdownOutcome | undefined {
  return outcomes.get(owner)
}

/** The shutdown deadline `owner`'s server stops with, or undefined when it never listened. */
export function shutdownDeadline(owner: object): number | undefined {
  return byOwner.get(owner)?.limits.shutdownTimeoutMs
}
