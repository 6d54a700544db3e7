// The loop monitor blames the request whose code held the loop, not the ones that were only
// waiting (on a timer, here) while it did.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { pino } from 'pino'
import { createApp, defineLoopMonitor, defineUnit } from 'trefoil'

function blockFor(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // a synchronous loop: the pitfall the monitor is for
  }
}

test('one blocking and one waiting request at once: only the blocking one is named', async () => {
  const lines: { msg: string; route?: string; blockedMs?: number }[] = []
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
  const unit = defineUnit('probe', (r) => {
    r.get('/block', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20)) // blocks in a later stretch, not the first
      blockFor(400)
      return { blocked: true }
    })
    r.get('/wait', async () => {
      await new Promise((resolve) => setTimeout(resolve, 200))
      return { waited: true }
    })
  })
  const app = createApp({ plugins: [defineLoopMonitor({ thresholdMs: 250 }), unit], logger })
  try {
    await app.start()
    // the wait starts first and its timer falls due in the middle of the block
    const [waited, blocked] = await Promise.all([app.inject({ url: '/wait' }), app.inject({ url: '/block' })])
    assert.is(waited.status, 200)
    assert.is(blocked.status, 200)
    const warnings = lines.filter((l) => l.msg === 'Event loop blocked during a request')
    assert.equal(warnings.map((w) => w.route), ['GET /block'])
    assert.ok(warnings[0]!.blockedMs! >= 390, `blockedMs ${warnings[0]!.blockedMs}`)
  } finally {
    await app.close()
  }
})

test.run()
