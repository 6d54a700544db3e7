// The body-progress rule: while the server waits for a request body, each window of time must
// bring at least a minimum number of bytes, or the request is answered 408 (the connection closed
// when an answer is already on its way). A body that moves slowly but steadily, such as a large
// upload over a poor mobile link, is never cut by a total deadline; one that stalls or trickles
// (a byte a second) is cut within a window. Time the app spends not reading (its buffer full,
// the socket paused) is not counted against the client. One timer serves every watched request.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import { respondBare } from './respond.js'

/** How fast a request body must arrive. */
export interface BodyProgressRule {
  /** Length of each window in ms; 0 turns the rule off. */
  readonly windowMs: number
  /** Bytes per second the client must average over each window (and at least one byte per window). */
  readonly minBytesPerSecond: number
}

/** Watches the bodies of requests as they arrive; `stop()` when the server is gone. */
export interface BodyProgressWatch {
  /** Starts watching a request's body (a request without one is ignored). */
  track(req: IncomingMessage, res: ServerResponse): void
  /** Stops watching it: its answer is out, or its connection gone. */
  untrack(res: ServerResponse): void
  stop(): void
}

interface Watched {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly socket: Socket
  windowStart: number
  bytesAtStart: number
}

const stalledDetail = (minBytes: number, windowMs: number): string => `The request body arrived too slowly: at least ${minBytes} bytes are expected every ${windowMs / 1000} s`

/** Starts the rule's timer lazily: an idle server runs no timer at all. */
export function watchBodyProgress(rule: BodyProgressRule, log: Logger): BodyProgressWatch {
  const watched = new Map<ServerResponse, Watched>()
  // at least a byte per window whatever the rate: a body that sends nothing has stalled
  const minBytes = Math.max(1, Math.ceil((rule.minBytesPerSecond * rule.windowMs) / 1000))
  // checking a few times per window keeps the cut within about a quarter window of its due time
  const tickMs = Math.max(25, Math.min(1000, Math.floor(rule.windowMs / 4)))
  let timer: NodeJS.Timeout | undefined
  let lastTick = 0

  const check = (): void => {
    const now = performance.now()
    // a late tick means this process was busy: the bytes may be waiting in the kernel, unread by
    // us, so the window restarts instead of blaming the client
    const late = now - lastTick > tickMs * 2 + 100
    lastTick = now
    for (const [res, entry] of watched) {
      const { req, socket } = entry
      if (req.complete || socket.destroyed) {
        watched.delete(res)
        continue
      }
      // a full buffer means the app is not reading: the wait is the server's, not the client's
      if (late || req.readableLength >= req.readableHighWaterMark) {
        entry.windowStart = now
        entry.bytesAtStart = socket.bytesRead
        continue
      }
      if (now - entry.windowStart < rule.windowMs) continue
      if (socket.bytesRead - entry.bytesAtStart >= minBytes) {
        entry.windowStart = now
        entry.bytesAtStart = socket.bytesRead
        continue
      }
      watched.delete(res)
      cut(entry, socket.bytesRead - entry.bytesAtStart)
    }
    if (watched.size === 0 && timer) {
      clearInterval(timer)
      timer = undefined
    }
  }

  const cut = (entry: Watched, received: number): void => {
    const { req, res, socket } = entry
    log.info({ method: req.method, url: req.url, received, windowMs: rule.windowMs, minBytes }, 'Request body too slow: answered 408 and closed')
    // whoever reads the body (JSON, multipart, a stream to storage) sees the request aborted and
    // cleans up: Node alone would leave it waiting once the answer is out, and a partial upload
    // on disk
    const abort = (): void => {
      socket.destroy()
      if (!req.destroyed) req.destroy()
    }
    if (res.headersSent || res.writableEnded) return abort()
    // the app's own answer is not written since this one went first
    res.shouldKeepAlive = false
    const body = JSON.stringify({ detail: stalledDetail(minBytes, rule.windowMs) })
    respondBare(res, 408, body, [], abort)
    // a client that reads nothing may never take the answer: the request ends anyway
    setTimeout(abort, 1000).unref()
  }

  return {
    track(req, res) {
      if (rule.windowMs <= 0 || !hasBody(req) || !req.socket) return
      const entry: Watched = { req, res, socket: req.socket, windowStart: performance.now(), bytesAtStart: req.socket.bytesRead }
      watched.set(res, entry)
      if (!timer) {
        lastTick = performance.now()
        timer = setInterval(check, tickMs)
        timer.unref()
      }
    },
    // with the answer, not at the next tick: held until then, every request of a busy second
    // outlived the young generation and its collection cost more than the request
    untrack(res) {
      watched.delete(res)
    },
    stop() {
      if (timer) clearInterval(timer)
      timer = undefined
      watched.clear()
    },
  }
}

function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true
  const length = req.headers['content-length']
  return length !== undefined && length !== '0'
}
