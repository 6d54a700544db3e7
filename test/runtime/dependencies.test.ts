import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit, depends, Forbidden, NotFound, stream, t } from 'trefoil'
import { captureLogs } from '../helpers/logs.js'

test('depends() runs a shared dependency once per request, however often it is asked for', async () => {
  let runs = 0
  const token = depends(function token() {
    runs++
    return 'user-7'
  })
  const user = depends({ use: { token } }, ({ token }) => ({ id: token }))
  const audit = depends({ use: { token, user } }, ({ token, user }) => `${token}/${user.id}`)
  const unit = defineUnit('me', (r) => r.get('/me', { use: { user, audit, token } }, ({ user, audit, token }) => ({ user, audit, token })))
  const app = createApp({ plugins: [unit] })
  const res = await app.inject({ url: '/me' })
  assert.equal(res.json(), { user: { id: 'user-7' }, audit: 'user-7/user-7', token: 'user-7' })
  assert.is(runs, 1)
  await app.inject({ url: '/me' })
  assert.is(runs, 2, 'a new request runs it again')
})

test('a dependency with cache: false runs each time it is asked for', async () => {
  let runs = 0
  const fresh = depends({ cache: false }, () => ++runs)
  const a = depends({ use: { fresh } }, ({ fresh }) => fresh)
  const unit = defineUnit('fresh', (r) => r.get('/fresh', { use: { a, fresh } }, ({ a, fresh }) => [a, fresh]))
  const res = await createApp({ plugins: [unit] }).inject({ url: '/fresh' })
  assert.equal(res.json().sort(), [1, 2])
})

test('a dependency reads route params with its own schema: coerced, and a 404 from an existence check', async () => {
  const projects = new Map([[3, { id: 3, name: 'Flood mapping' }]])
  const project = depends({ params: t.Object({ projectId: t.Integer({ minimum: 1 }) }), errors: [404] }, ({ params }) => {
    const found = projects.get(params.projectId)
    if (!found) throw new NotFound(`Project ${params.projectId} not found`)
    return found
  })
  const unit = defineUnit('projects', { prefix: '/v1/projects' }, (r) => r.get('/:projectId', { use: { project } }, ({ project }) => project))
  const app = createApp({ plugins: [unit] })
  assert.equal((await app.inject({ url: '/v1/projects/3' })).json(), { id: 3, name: 'Flood mapping' })
  const missing = await app.inject({ url: '/v1/projects/4' })
  assert.is(missing.status, 404)
  assert.equal(missing.json(), { detail: 'Project 4 not found' })
  const bad = await app.inject({ url: '/v1/projects/zero' })
  assert.is(bad.status, 422)
  assert.equal(bad.json().detail, [{ loc: ['path', 'projectId'], msg: 'Input should be a valid integer', type: 'int_type' }])
})

test('dependencies read query and headers with schemas; their errors join the route’s in one 422, before the body is read', async () => {
  const paging = depends({ query: t.Object({ page: t.Integer({ minimum: 1, default: 1 }) }) }, ({ query }) => query.page)
  const apiKey = depends({ headers: t.Object({ 'x-api-key': t.String({ minLength: 8 }) }) }, ({ headers }) => headers['x-api-key'])
  const unit = defineUnit('items', (r) =>
    r.post('/items', { body: t.Object({ name: t.String() }), use: { paging, apiKey } }, ({ paging, apiKey, body }) => ({ paging, apiKey, name: body.name })),
  )
  const app = createApp({ plugins: [unit] })
  const ok = await app.inject({ method: 'POST', url: '/items', headers: { 'x-api-key': 'secret-key' }, body: { name: 'n' } })
  assert.equal(ok.json(), { paging: 1, apiKey: 'secret-key', name: 'n' })
  const bad = await app.inject({ method: 'POST', url: '/items?page=0', headers: { 'x-api-key': 'short' }, body: {} })
  assert.is(bad.status, 422)
  assert.equal(
    bad.json().detail.map((issue: { loc: unknown[] }) => issue.loc),
    [['query', 'page'], ['header', 'x-api-key']],
  )
  // the body's own issues once the URL and headers are right
  const body = await app.inject({ method: 'POST', url: '/items?page=1', headers: { 'x-api-key': 'secret-key' }, body: {} })
  assert.equal(body.json().detail.map((issue: { loc: unknown[] }) => issue.loc), [['body', 'name']])
})

test('cleanups run after the handler in reverse order, and also after an error', async () => {
  const events: string[] = []
  const connection = depends(({ cleanup }) => {
    events.push('open connection')
    cleanup((error) => void events.push(`release connection${error ? ' after error' : ''}`))
    return 'conn'
  })
  const tx = depends({ use: { connection } }, ({ cleanup }) => {
    events.push('begin')
    cleanup((error) => void events.push(error ? 'rollback' : 'commit'))
    return 'tx'
  })
  const unit = defineUnit('tx', (r) => {
    r.post('/ok', { use: { tx } }, () => {
      events.push('handler')
      return { ok: true }
    })
    r.post('/fail', { use: { tx } }, () => {
      events.push('handler')
      throw new Forbidden('Not yours')
    })
  })
  const app = createApp({ plugins: [unit] })
  assert.is((await app.inject({ method: 'POST', url: '/ok' })).status, 200)
  assert.equal(events, ['open connection', 'begin', 'handler', 'commit', 'release connection'])
  events.length = 0
  const failed = await app.inject({ method: 'POST', url: '/fail' })
  assert.is(failed.status, 403)
  assert.equal(events, ['open connection', 'begin', 'handler', 'rollback', 'release connection after error'])
})

test('with a streamed reply, cleanups wait until the body has been sent', async () => {
  const events: string[] = []
  const cursor = depends(({ cleanup }) => {
    cleanup(() => void events.push('cursor closed'))
    return ['a', 'b', 'c']
  })
  const unit = defineUnit('export', (r) =>
    r.get('/export', { use: { cursor } }, ({ cursor }) =>
      stream(
        (async function* () {
          for (const row of cursor) {
            await new Promise((resolve) => setTimeout(resolve, 5))
            events.push(`sent ${row}`)
            yield `${row}\n`
          }
        })(),
      ),
    ),
  )
  const res = await createApp({ plugins: [unit] }).inject({ url: '/export' })
  assert.is(res.body, 'a\nb\nc\n')
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(events, ['sent a', 'sent b', 'sent c', 'cursor closed'])
})

test('a failing cleanup after a successful handler turns the response into a 500', async () => {
  const { logger, lines } = captureLogs('error')
  const tx = depends(({ cleanup }) => {
    cleanup(() => {
      throw new Error('COMMIT failed: could not serialize access')
    })
    return 1
  })
  const unit = defineUnit('tx', (r) => r.post('/write', { use: { tx } }, () => ({ written: true })))
  const res = await createApp({ plugins: [unit], logger }).inject({ method: 'POST', url: '/write' })
  assert.is(res.status, 500)
  assert.equal(res.json(), { detail: 'Internal Server Error' })
  assert.ok(lines.some((line) => JSON.stringify(line).includes('COMMIT failed')))
})

test('when one dependency fails, the others finish before cleanups run (nothing leaks)', async () => {
  const events: string[] = []
  const slow = depends(async ({ cleanup }) => {
    await new Promise((resolve) => setTimeout(resolve, 30))
    events.push('slow acquired')
    cleanup(() => void events.push('slow released'))
    return 'slow'
  })
  const failing = depends(async () => {
    throw new NotFound('Gone')
  })
  const unit = defineUnit('race', (r) => r.get('/race', { use: { slow, failing } }, () => 'never'))
  const res = await createApp({ plugins: [unit] }).inject({ url: '/race' })
  assert.is(res.status, 404)
  assert.equal(events, ['slow acquired', 'slow released'])
})

test('independent dependencies of one route resolve concurrently', async () => {
  // each waits for the other to have started: run one after the other, they would never finish
  let startA!: () => void
  let startB!: () => void
  const aStarted = new Promise<void>((resolve) => (startA = resolve))
  const bStarted = new Promise<void>((resolve) => (startB = resolve))
  const timeout = (ms: number) => new Promise((_, reject) => setTimeout(() => reject(new Error('Ran one after the other')), ms))
  const a = depends(async () => {
    startA()
    await Promise.race([bStarted, timeout(1000)])
    return 'a'
  })
  const b = depends(async () => {
    startB()
    await Promise.race([aStarted, timeout(1000)])
    return 'b'
  })
  const unit = defineUnit('both', (r) => r.get('/both', { use: { a, b } }, ({ a, b }) => a + b))
  const res = await createApp({ plugins: [unit] }).inject({ url: '/both' })
  assert.is(res.status, 200)
  assert.is(res.json(), 'ab')
})

test('unit-level dependencies run for every route of the unit and reach each handler', async () => {
  let checks = 0
  const member = depends({ headers: t.Object({ 'x-user': t.String() }), errors: [401] }, ({ headers }) => {
    checks++
    return { name: headers['x-user'] }
  })
  const unit = defineUnit('tasks', { prefix: '/v1/tasks', use: { member } }, (r) => {
    r.get('/', ({ member }) => ({ list: true, by: member.name }))
    r.get('/:taskId', ({ member, params }) => ({ task: params.taskId, by: member.name }))
  })
  const app = createApp({ plugins: [unit] })
  assert.equal((await app.inject({ url: '/v1/tasks', headers: { 'x-user': 'ana' } })).json(), { list: true, by: 'ana' })
  assert.equal((await app.inject({ url: '/v1/tasks/9', headers: { 'x-user': 'ana' } })).json(), { task: '9', by: 'ana' })
  assert.is((await app.inject({ url: '/v1/tasks/9' })).status, 422)
  assert.is(checks, 2)
})

test('overrideDependency() replaces a dependency everywhere, also inside chains; clearOverrides() restores it', async () => {
  const currentUser = depends(() => {
    throw new Forbidden('Real auth not available in tests')
  })
  const greeting = depends({ use: { currentUser } }, ({ currentUser }) => `hello ${(currentUser as { name: string }).name}`)
  const unit = defineUnit('greet', (r) => r.get('/greet', { use: { greeting } }, ({ greeting }) => greeting))
  const app = createApp({ plugins: [unit] })
  assert.is((await app.inject({ url: '/greet' })).status, 403)
  app.overrideDependency(currentUser, () => ({ name: 'tester' }))
  assert.is((await app.inject({ url: '/greet' })).json(), 'hello tester')
  app.clearOverrides()
  assert.is((await app.inject({ url: '/greet' })).status, 403)
})

test('a dependency cycle fails at start-up naming the chain', async () => {
  const deps: Record<string, ReturnType<typeof depends>> = {}
  deps.project = depends({ name: 'project', use: { get role() { return deps.role! } } }, () => 1)
  deps.role = depends({ name: 'role', use: { get membership() { return deps.membership! } } }, () => 2)
  deps.membership = depends({ name: 'membership', use: { get project() { return deps.project! } } }, () => 3)
  const unit = defineUnit('cyclic', (r) => r.get('/x', { use: { project: deps.project! } }, () => 'x'))
  const message = await createApp({ plugins: [unit] }).start().then(
    () => undefined,
    (error: Error) => error.message,
  )
  assert.match(message ?? '', /Dependency cycle: project -> role -> membership -> project/)
})

test('an override that makes a cycle is refused and the app keeps working', async () => {
  const base = depends({ name: 'base' }, () => 'base')
  const top = depends({ name: 'top', use: { base } }, ({ base }) => `top(${base})`)
  const unit = defineUnit('o', (r) => r.get('/o', { use: { top } }, ({ top }) => top))
  const app = createApp({ plugins: [unit] })
  await app.start()
  const loop = depends({ name: 'loop', use: { top } }, ({ top }) => top)
  assert.throws(() => app.overrideDependency(base, loop), /Dependency cycle: base -> top -> base|Dependency cycle/)
  assert.is((await app.inject({ url: '/o' })).json(), 'top(base)')
})

test('a use key that is a reserved input name is refused where it is declared', () => {
  const dep = depends(() => 1)
  assert.throws(() => depends({ use: { params: dep } }, () => 2), /"params" is a reserved input name/)
})

test('of several dependencies that fail, the first declared answers, whichever failed first in time', async () => {
  // the project lookup (an outsider's 404) is slower than the role check (403): the order of the
  // declaration decides, so a private project's existence never shows through a 403
  const project = depends({ name: 'project', errors: [404] }, async () => {
    await new Promise((resolve) => setTimeout(resolve, 30))
    throw new NotFound('Project 5 not found')
  })
  const role = depends({ name: 'role', errors: [403] }, async () => {
    throw new Forbidden('Missing role "mapper"')
  })
  const late = depends({ name: 'late', errors: [409] }, async () => {
    await new Promise((resolve) => setTimeout(resolve, 60))
    throw new Error('never heard: an earlier dependency answered')
  })
  const unit = defineUnit('order', { use: { project } }, (r) => {
    r.get('/unit-first', { use: { role } }, () => ({ ok: true }))
    r.get('/route-order', { use: { role, late } }, () => ({ ok: true }))
  })
  const app = createApp({ plugins: [unit] })
  for (let i = 0; i < 5; i++) {
    const res = await app.inject({ url: '/unit-first' })
    assert.is(res.status, 404, res.body)
    assert.equal(res.json(), { detail: 'Project 5 not found' })
  }
  // the unit's own use comes before the route's; among the route's, role is first
  const both = await app.inject({ url: '/route-order' })
  assert.is(both.status, 404)
})

test.run()
