// The default pool size: the cores this process may use, minus its own event loop, shared out
// among the processes `trefoil serve` forks (they are told their number in TREFOIL_PROCESSES).
import { availableParallelism } from 'node:os'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createWorkerPool, defaultWorkerThreads } from 'trefoil'

test('one process takes cores − 1 threads, at least 1', () => {
  assert.is(defaultWorkerThreads(8, 1), 7)
  assert.is(defaultWorkerThreads(2, 1), 1)
  assert.is(defaultWorkerThreads(1, 1), 1)
})

test('N processes share the cores: floor(cores / N) − 1 threads each, at least 1', () => {
  assert.is(defaultWorkerThreads(8, 2), 3)
  assert.is(defaultWorkerThreads(16, 4), 3)
  assert.is(defaultWorkerThreads(8, 3), 1)
  // serve's default, one process per core: one thread each
  assert.is(defaultWorkerThreads(8, 8), 1)
  assert.is(defaultWorkerThreads(4, 16), 1)
})

test('the process count comes from TREFOIL_PROCESSES; garbage there counts as one process', () => {
  const saved = process.env.TREFOIL_PROCESSES
  try {
    process.env.TREFOIL_PROCESSES = '4'
    assert.is(defaultWorkerThreads(16), 3)
    process.env.TREFOIL_PROCESSES = 'many'
    assert.is(defaultWorkerThreads(16), 15)
    delete process.env.TREFOIL_PROCESSES
    assert.is(defaultWorkerThreads(16), 15)
    assert.is(defaultWorkerThreads(), Math.max(1, availableParallelism() - 1))
  } finally {
    if (saved === undefined) delete process.env.TREFOIL_PROCESSES
    else process.env.TREFOIL_PROCESSES = saved
  }
})

test('a pool without a size gets the default', async () => {
  const pool = createWorkerPool()
  try {
    assert.is(pool.stats().size, defaultWorkerThreads())
  } finally {
    await pool.close()
  }
})

test.run()
