// A server's connections and the requests on each, so that a stop can tell a connection doing
// work (a request being answered) from one that is not (an idle keep-alive connection, or one
// whose request has not fully arrived, such as half a request line). Stopping closes the second
// kind at once — Node stops enforcing its header timeout once `server.close()` runs, so nothing
// else would — lets in-flight requests finish up to a deadline (pipelined ones included), closes
// each connection as its last answer goes out, answers requests that arrive meanwhile 503, and cuts what is left at the
// deadline, saying what it cut.
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

interface InFlight {
  readonly req: IncomingMessage
  readonly started: number
}

/** Tracks a server's connections from before it listens; {@link ConnectionTracker.stop} closes them. */
export class ConnectionTracker {
  readonly #sockets = new Map<Socket, Map<ServerResponse, InFlight>>()
  #closing = false

  /** Starts tracking the server's connections (before it listens). */
  watch(server: Server): void {
    server.on('connection', (socket: Socket) => {
      this.#sockets.set(socket, new Map())
      socket.once('close', () => this.#sockets.delete(socket))
    })
  }

  /** Whether a stop has begun. */
  get closing(): boolean {
    return this.#closing
  }

  /**
   * Counts a request as in flight until its answer is out (or its connection is gone). Returns
   * false when the server is stopping: the request has been answered 503 and must not be served.
   */
  begin(req: IncomingMessage, res: ServerResponse): boolean {
    const socket = req.socket
    let open = this.#sockets.get(socket)
    if (!open) {
      open = new Map()
      this.#sockets.set(socket, open)
    }
    open.set(res, { req, started: performance.now() })
    res.once('close', () => {
      open.delete(res)
      if (this.#closing && open.size === 0) closeSoon(socket)
    })
    if (!this.#closing) return true
    // like Fastify's return503OnClosing: a client that sent a request on a connection while the
    // server stops is told to retry (elsewhere, or once this instance is back)
    const body = '{"detail":"The server is shutting down: retry"}'
    res.shouldKeepAlive = false
    respondBare(res, 503, body, ['Retry-After', '1'])
    return false
  }

  /**
   * Stops accepting, closes idle and incomplete connections at once, waits for in-flight requests
   * up to `deadlineMs`, then destroys what is left and logs what that cut.
   */
  async stop(server: Server, deadlineMs: number, log: Logger): Promise<ShutdownOutcome> {
    const started = performance.now()
    this.#closing = true
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const [socket, open] of this.#sockets) {
      if (open.size === 0) socket.destroy()
      else {
        // each connection closes once its answers are out, so no new request can start on it.
        // Its last answer says so: a request pipelined behind another has already run, and an
        // earlier `Connection: close` would make Node drop its answer unsent
        const last = [...open.keys()].at(-1)!
        if (!last.headersSent) last.shouldKeepAlive = false
      }
    }
    let timer: NodeJS.Timeout | undefined
    const inTime = await Promise.race([closed.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(resolve, deadlineMs, false)))])
    clearTimeout(timer)
    const cut: CutRequest[] = []
    if (!inTime) {
      const now = performance.now()
      for (const open of this.#sockets.values()) for (const { req, started: since } of open.values()) cut.push({ method: req.method ?? '', url: req.url ?? '', ms: Math.round(now - since) })
      if (cut.length > 0) {
        const shown = cut.slice(0, 10).map((r) => `${r.method} ${r.url}`).join(', ')
        log.error({ cut: cut.slice(0, 100), deadlineMs }, `Shutdown deadline of ${deadlineMs} ms passed: cut ${cut.length} in-flight request${cut.length === 1 ? '' : 's'} (${shown}${cut.length > 10 ? ', …' : ''})`)
      }
      // what is left without a request is a connection whose client has not closed its side yet
      for (const socket of this.#sockets.keys()) socket.destroy()
      await closed
    }
    return { cut, ms: Math.round(performance.now() - started) }
  }
}

/** Sends what is written, then closes: a client that never closes its side cannot hold the stop. */
function closeSoon(socket: Socket): void {
  if (socket.destroyed) return
  socket.once('finish', () => socket.destroy())
  socket.end()
}
