// The event-loop monitor: the guide's main pitfall (blocking the event loop) made visible. It
// measures loop delay for the whole process, and logs a warning naming the route of any request
// during which the loop was blocked longer than a threshold.
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks'
import type { Middleware } from 'koa'
import type { TrefoilState } from '../core/context.js'
import { definePlugin, type Plugin } from '../core/plugin.js'

/** Options of {@link defineLoopMonitor}. */
export interface LoopMonitorOptions {
  /** A request during which the loop was blocked longer than this logs a warning (default: the settings' `LOOP_BLOCK_THRESHOLD_MS`, else 100). */
  thresholdMs?: number
  /** How often the loop is sampled, in ms (default 10): the precision of `blockedMs`. */
  resolutionMs?: number
  /** Also answer `GET <path>` with {@link LoopStats} (default: no route). */
  path?: string
}

/** Event-loop figures since start (or the last `reset()`), in milliseconds. */
export interface LoopStats {
  /** Loop delay percentiles and extremes, as sampled by `monitorEventLoopDelay`. */
  p50: number
  p99: number
  max: number
  mean: number
  /** Share of the time the loop was busy, 0 to 1. */
  utilization: number
  /** Requests during which the loop was blocked past the threshold. */
  blockedRequests: number
  /** The worst of them. */
  worst: { route: string; blockedMs: number } | undefined
}

/** The monitor, as the plugin's value. */
export interface LoopMonitor {
  stats(): LoopStats
  reset(): void
  readonly thresholdMs: number
}

interface Gap {
  start: number
  end: number
}

const RECENT_GAPS = 64

/**
 * Monitors the event loop (plugin name `loop-monitor`). List it first among the plugins that
 * add middleware, so that it measures whole requests.
 * @example
 * export const loopMonitor = defineLoopMonitor({ thresholdMs: 50 })
 * // logs: {"level":40,"route":"POST /v1/projects/:projectId/split","blockedMs":212,"msg":"Event loop blocked during a request"}
 * const { p99, max } = app.plugin(loopMonitor).stats()
 */
export function defineLoopMonitor(options: LoopMonitorOptions = {}): Plugin<LoopMonitor> {
  return definePlugin<LoopMonitor>({
    name: 'loop-monitor',
    setup(app) {
      const settings = (app.settings ?? {}) as { LOOP_BLOCK_THRESHOLD_MS?: number }
      const thresholdMs = options.thresholdMs ?? settings.LOOP_BLOCK_THRESHOLD_MS ?? 100
      const resolution = options.resolutionMs ?? 10
      const histogram = monitorEventLoopDelay({ resolution })
      histogram.enable()
      let elu: EventLoopUtilization = performance.eventLoopUtilization()
      let blockedRequests = 0
      let worst: LoopStats['worst']

      // A tick every `resolution` ms; a tick that comes late closes a gap during which the loop
      // was blocked. A request's blocked time is its overlap with those gaps, plus the gap still
      // open when it ends (a handler that blocked runs to the end of the request without a tick).
      const gaps: Gap[] = []
      let lastTick = performance.now()
      const ticker = setInterval(() => {
        const now = performance.now()
        if (now - lastTick - resolution >= thresholdMs) {
          gaps.push({ start: lastTick, end: now })
          if (gaps.length > RECENT_GAPS) gaps.shift()
        }
        lastTick = now
      }, resolution)
      ticker.unref()

      const blockedDuring = (started: number, ended: number): number => {
        let blocked = ended - Math.max(lastTick, started)
        for (let i = gaps.length - 1; i >= 0; i--) {
          const gap = gaps[i]!
          if (gap.end <= started) break
          blocked = Math.max(blocked, Math.min(gap.end, ended) - Math.max(gap.start, started))
        }
        return blocked
      }

      const measure: Middleware<TrefoilState> = async function loopMonitor(ctx, next) {
        const started = performance.now()
        try {
          await next()
        } finally {
          const blocked = blockedDuring(started, performance.now())
          if (blocked > thresholdMs) {
            const blockedMs = Math.round(blocked)
            const route = ctx.state.route ?? `${ctx.method} ${ctx.path}`
            blockedRequests++
            if (!worst || blockedMs > worst.blockedMs) worst = { route, blockedMs }
            app.log.warn({ route, blockedMs, thresholdMs, requestId: ctx.state.requestId }, 'Event loop blocked during a request')
          }
        }
      }
      app.use(measure)

      const ms = (ns: number): number => Math.round(ns / 1e4) / 100
      const monitor: LoopMonitor = {
        thresholdMs,
        stats() {
          const count = histogram.count
          return {
            p50: count ? ms(histogram.percentile(50)) : 0,
            p99: count ? ms(histogram.percentile(99)) : 0,
            max: count ? ms(histogram.max) : 0,
            mean: count ? ms(histogram.mean) : 0,
            utilization: Math.round(performance.eventLoopUtilization(elu).utilization * 1000) / 1000,
            blockedRequests,
            worst,
          }
        },
        reset() {
          histogram.reset()
          elu = performance.eventLoopUtilization()
          blockedRequests = 0
          worst = undefined
        },
      }
      if (options.path) {
        app.addRoute({ method: 'GET', path: options.path, unit: 'loop-monitor', options: { summary: 'Event-loop delay and blocked requests', tags: ['monitoring'] }, groupUse: {}, handler: () => monitor.stats() })
      }
      return {
        value: monitor,
        close() {
          clearInterval(ticker)
          histogram.disable()
        },
      }
    },
  })
}
