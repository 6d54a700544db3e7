// Runs the README's unit example exactly as written, the way FastAPI runs its tutorial code.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8')
const block = /<!-- readme-example[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme)?.[1]
const target = fileURLToPath(new URL('./.readme-example.generated.ts', import.meta.url))

test('the README example is there and at most ~25 lines', () => {
  assert.ok(block, 'README has a readme-example block')
  assert.ok(block!.trim().split('\n').length <= 26)
})

test('the README example answers as the README says', async () => {
  writeFileSync(target, block!)
  try {
    const { app } = (await import(target)) as { app: import('trefoil').App }
    const bad = await app.inject({ method: 'POST', url: '/v1/projects', body: { name: ' Roads ', priority: 11 } })
    assert.is(bad.status, 422)
    assert.equal(bad.json(), { detail: [{ loc: ['body', 'priority'], msg: 'Input should be less than or equal to 10', type: 'less_than_equal' }] })
    const res = await app.inject({ method: 'POST', url: '/v1/projects', body: { name: ' Roads ' } })
    assert.is(res.status, 201)
    assert.equal(res.json(), { id: 1, name: 'Roads', priority: 5 })
    assert.is(res.headers.location, '/v1/projects/1')
    const got = await app.inject({ url: '/v1/projects/1' })
    assert.equal(got.json(), { id: 1, name: 'Roads', priority: 5 })
    assert.is((await app.inject({ url: '/v1/projects/2' })).status, 404)
    await app.close()
  } finally {
    rmSync(target, { force: true })
  }
})

test.run()
