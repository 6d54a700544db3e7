// The pool's shared task registry: requests name a task module by index, workers read its URL
// from shared memory; once the registry is full, requests carry the URL instead.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { registeredTask, registerTask } from '../../runtime/src/workers/protocol.js'

const url = (n: number): string => `file:///srv/app/src/tasks/task-${n}.js`

test('line n of the registry is the URL of index n', () => {
  const registry = new SharedArrayBuffer(4096)
  for (let n = 1; n <= 20; n++) assert.ok(registerTask(registry, url(n)))
  assert.is(registeredTask(registry, 1), url(1))
  assert.is(registeredTask(registry, 20), url(20))
  assert.is(registeredTask(registry, 21), undefined)
})

test('a full registry refuses every later URL, short ones too, so that indexes stay aligned', () => {
  const registry = new SharedArrayBuffer(4 + 2 * (url(1).length + 1) + 10)
  assert.ok(registerTask(registry, url(1)))
  assert.ok(registerTask(registry, url(2)))
  assert.not.ok(registerTask(registry, url(3)))
  assert.not.ok(registerTask(registry, 'file:///a.js'))
  assert.is(registeredTask(registry, 2), url(2))
  assert.is(registeredTask(registry, 3), undefined)
})

test('non-ASCII URLs survive', () => {
  const registry = new SharedArrayBuffer(4096)
  registerTask(registry, 'file:///srv/Zürich/tâche.js')
  assert.is(registeredTask(registry, 1), 'file:///srv/Zürich/tâche.js')
})

test.run()
