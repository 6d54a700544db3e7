// A server's connections and the requests on each, so that a stop can tell a connection doing
// work (a request being answered) from one that is not (an idle keep-alive connection, or one
// whose request has not fully arrived, such as half a request line). A stop goes in two steps.
// Draining (optional, `drainMs`): every request is still served, each answer with
// `Connection: close`, while the app's readiness check answers 503, so that a load balancer sees
// the instance go and stops sending before anything is refused. Stopping: idle and incomplete
// connections close at once — Node stops enforcing its header timeout once `server.close()` runs,
// so nothing else would — in-flight requests (pipelined ones included) finish up to the deadline, each connection closes
// as its last answer goes out, and the server keeps listening meanwhile: a request that arrives is
// answered 503 (`Retry-After`, `Connection: close`), but for the routes served while stopping
// (the health checks: a load balancer's check must read "not ready", not find the port shut).
// Once nothing is in flight the server stops listening; at the deadline what is left is cut, and
// the log says what.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import { respondBare } from './respond.js'

/** A request that was still being answered when the deadline passed. */
export interface CutRequest {
  readonly method: string
  readonly url: string
  /** How long it had been running, in ms. */
  readonly ms: number
}

/** How a stop went. */
export interface ShutdownOutcome {
  /** Requests cut at the deadline (none when every one finished in time). */
  readonly cut: readonly CutRequest[]
  /** How long the stop took, in ms. */
  readonly ms: number
}

/** What a stop does besides its deadline. */
export interface StopOptions {
  /** How long to drain first, serving everything, within the deadline (default 0). */
  readonly drainMs?: number
}

interface InFlight {
  readonly req: IncomingMessage
  readonly started: number
}

/** Tracks a server's connections from before it listens; {@link ConnectionTracker.stop} closes them. */
export class ConnectionTracker {
  readonly #sockets = new Map<Socket, Map<ServerResponse, InFlight>>()
  readonly #servesWhileStopping: (req: IncomingMessage) => boolean
  #phase: 'serving' | 'draining' | 'stopping' = 'serving'
  /** Called once nothing is in flight while stopping. */
  #onIdle: (() => void) | undefined

  /** `servesWhileStopping` picks the requests still served once the stop has begun (health checks). */
  constructor(servesWhileStopping: (req: IncomingMessage) => boolean = () => false) {
    this.#servesWhileStopping = servesWhileStopping
  }

  /** Starts tracking the server's connections (before it listens). */
  watch(server: Server): void {
    server.on('connection', (socket: Socket) => {
      this.#sockets.set(socket, new Map())
      socket.once('close', () => {
        // answers still queued on a connection that closed (pipelined behind the last) never go out
        this.#sockets.delete(socket)
        this.#checkIdle()
      })
    })
  }

  /** Whether a stop has begun (draining included). */
  get closing(): boolean {
    return this.#phase !== 'serving'
  }

  /**
   * Counts a request as in flight until {@link ConnectionTracker.end} (its answer out, or its
   * connection gone). Returns
   * false when the server is stopping and the request is not one served then: it has been
   * answered 503 and must not be served.
   */
  begin(req: IncomingMessage, res: ServerResponse): boolean {
    const socket = req.socket
    let open = this.#sockets.get(socket)
    if (!open) {
      open = new Map()
      this.#sockets.set(socket, open)
    }
    open.set(res, { req, started: performance.now() })
    if (this.#phase === 'serving') return true
    // every answer from now on closes its connection, so none outlives the stop
    res.shouldKeepAlive = false
    if (this.#phase === 'draining' || this.#servesWhileStopping(req)) return true
    // like Fastify's return503OnClosing: a client that sent a request while the server stops is
    // told to retry (elsewhere, or once this instance is back)
    respondBare(res, 503, '{"detail":"The server is shutting down: retry"}', ['Retry-After', '1'])
    return false
  }

  /**
   * The request's answer is out (or its connection gone): no longer in flight. The server calls
   * it from one shared `close` listener, so a request costs no closure of its own.
   */
  end(res: ServerResponse): void {
    const socket = res.req.socket
    const open = this.#sockets.get(socket)
    if (!open?.delete(res)) return
    if (this.#phase !== 'serving' && open.size === 0) closeSoon(socket)
    this.#checkIdle()
  }

  /**
   * Drains for `drainMs` (within the deadline), then closes idle and incomplete connections,
   * waits for in-flight requests up to `deadlineMs` from the start while still answering (503, or
   * the health checks), stops listening, and at the deadline destroys what is left and logs what
   * that cut.
   */
  async stop(server: Server, deadlineMs: number, log: Logger, options: StopOptions = {}): Promise<ShutdownOutcome> {
    const started = performance.now()
    const drainMs = Math.min(options.drainMs ?? 0, deadlineMs)
    if (drainMs > 0) {
      this.#phase = 'draining'
      this.#keepNoneAlive()
      await new Promise((resolve) => setTimeout(resolve, drainMs))
    }
    this.#phase = 'stopping'
    for (const [socket, open] of this.#sockets) if (open.size === 0) socket.destroy()
    this.#keepNoneAlive()
    let timer: NodeJS.Timeout | undefined
    const idle = new Promise<true>((resolve) => {
      this.#onIdle = () => resolve(true)
      this.#checkIdle()
    })
    const left = Math.max(0, deadlineMs - (performance.now() - started))
    const inTime = await Promise.race([idle, new Promise<false>((resolve) => (timer = setTimeout(resolve, left, false)))])
    clearTimeout(timer)
    this.#onIdle = undefined
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    const cut: CutRequest[] = []
    if (inTime) {
      // what is left has no request in flight: answered connections on their way out, and ones
      // that sent nothing (or half a request) since
      for (const [socket, open] of this.#sockets) if (open.size === 0) closeSoon(socket)
    } else {
      const now = performance.now()
      for (const open of this.#sockets.values()) for (const { req, started: since } of open.values()) cut.push({ method: req.method ?? '', url: req.url ?? '', ms: Math.round(now - since) })
      if (cut.length > 0) {
        const shown = cut.slice(0, 10).map((r) => `${r.method} ${r.url}`).join(', ')
        log.error({ cut: cut.slice(0, 100), deadlineMs }, `Shutdown deadline of ${deadlineMs} ms passed: cut ${cut.length} in-flight request${cut.length === 1 ? '' : 's'} (${shown}${cut.length > 10 ? ', …' : ''})`)
      }
      for (const socket of this.#sockets.keys()) socket.destroy()
    }
    await closed
    return { cut, ms: Math.round(performance.now() - started) }
  }

  /**
   * Each connection closes once its answers are out. Only its last answer says so: a request
   * pipelined behind another has already run, and an earlier `Connection: close` would make Node
   * drop the later answers unsent.
   */
  #keepNoneAlive(): void {
    for (const open of this.#sockets.values()) {
      const last = [...open.keys()].at(-1)
      if (last && !last.headersSent) last.shouldKeepAlive = false
    }
  }

  #checkIdle(): void {
    if (this.#phase !== 'stopping' || !this.#onIdle) return
    for (const open of this.#sockets.values()) if (open.size > 0) return
    this.#onIdle()
  }
}

/** Sends what is written, then closes: a client that never closes its side cannot hold the stop. */
function closeSoon(socket: Socket): void {
  if (socket.destroyed || socket.writableEnded) return
  socket.once('finish', () => socket.destroy())
  socket.end()
}
