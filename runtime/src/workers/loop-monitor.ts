// The event-loop monitor: the guide's main pitfall (blocking the event loop) made visible. It
// measures loop delay for the whole process, and logs a warning naming the route of any request
// whose own code held the loop longer than a threshold in one synchronous stretch. A request that
// only waited (on a timer, a socket, the database) while another blocked is not blamed.
import { AsyncLocalStorage, createHook } from 'node:async_hooks'
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks'
import { definePlugin, type Plugin } from '../core/plugin.js'

/** Options of {@link defineLoopMonitor}. */
export interface LoopMonitorOptions {
  /** A request whose code held the loop longer than this in one stretch logs a warning (default: the settings' `LOOP_BLOCK_THRESHOLD_MS`, else 100). */
  thresholdMs?: number
  /** How often the loop delay histogram samples, in ms (default 10). */
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
  /** Requests whose own code blocked the loop past the threshold. */
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

/** One request's longest stretch on the loop so far, in ms. */
interface Running {
  longest: number
}

/**
 * Monitors the event loop (plugin name `loop-monitor`). It measures whole requests wherever it is
 * listed: its hook runs around every `onRequest` hook and the route (and around Koa middleware,
 * if an app adds some).
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

      // Every callback a request's code runs in (a promise continuation, a timer, a socket
      // event) is timed from the async hooks' `before` to `after`; the request is found through
      // the async context it started. Only callbacks that carry a request are timed.
      const requests = new AsyncLocalStorage<Running>()
      let current: Running | undefined
      let enteredAt = 0
      let depth = 0
      const hook = createHook({
        before() {
          if (depth++ > 0) return // nested: the outer callback's stretch includes it
          current = requests.getStore()
          if (current) enteredAt = performance.now()
        },
        after() {
          if (--depth > 0) return
          if (current) {
            const ran = performance.now() - enteredAt
            if (ran > current.longest) current.longest = ran
            current = undefined
          }
        },
      })
      hook.enable()

      // a hook around the rest of the request (its other hooks, routing, the route) rather than
      // Koa middleware, so that an app with the monitor keeps the core's answer path
      app.addHook('aroundRequest', async function loopMonitor(ctx, run) {
        const running: Running = { longest: 0 }
        // the first stretch runs here, synchronously, before the request awaits anything
        const started = performance.now()
        const pending = requests.run(running, run)
        running.longest = Math.max(running.longest, performance.now() - started)
        try {
          await pending
        } finally {
          const blocked = running.longest
          if (blocked > thresholdMs) {
            const blockedMs = Math.round(blocked)
            const route = ctx.state.route ?? `${ctx.method} ${ctx.path}`
            blockedRequests++
            if (!worst || blockedMs > worst.blockedMs) worst = { route, blockedMs }
            app.log.warn({ route, blockedMs, thresholdMs, requestId: ctx.state.requestId }, 'Event loop blocked during a request')
          }
        }
      })

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
          hook.disable()
          histogram.disable()
        },
      }
    },
  })
}
