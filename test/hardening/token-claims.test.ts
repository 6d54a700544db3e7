// A token signed with the right key whose claims are not a user's (a `sub` that is not a user id,
// or none) is a 401, never a 500 from the query it would have reached.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { serveFieldwork, timed, type Served } from './client.js'

let fw: Served
let sign: (claims: Record<string, unknown>) => Promise<string>

test.before(async () => {
  fw = await serveFieldwork()
  const { auth } = await import('../../examples/fieldwork/src/deps.js')
  sign = (claims) => auth.sign(claims)
})
test.after(async () => {
  await fw?.close()
})

for (const [what, claims] of [
  ['a non-numeric sub', { sub: 'abc' }],
  ['a sub of 1e0', { sub: '1e0' }],
  ['no sub', {}],
  ['a numeric (not string) sub', { sub: 1 }],
] as const) {
  test(`a signed token with ${what} is a 401`, async () => {
    const token = await sign(claims)
    const answer = await timed(`${fw.base}/v1/projects`, { headers: { authorization: `Bearer ${token}` } })
    assert.is(answer.status, 401, answer.body)
    assert.match(answer.body, /Invalid token/)
  })
}

test('a signed token with a user id that does not exist is still a 401', async () => {
  assert.is((await timed(`${fw.base}/v1/projects`, { headers: { authorization: `Bearer ${await sign({ sub: '999999' })}` } })).status, 401)
})

test.run()
