// Runs the README's TypeScript blocks exactly as written, the way FastAPI runs its tutorial code.
// A block marked `continues` runs after the block before it, in the same module; in such a block
// a line `expression // value` is also checked: the expression must equal the value.
// Every code block of the README carries a marker right above it: `readme-example` (a ts block,
// run here), `readme-session` (a shell session, run by test/generators/readme-session.test.ts) or
// `readme-not-run` with the reason (a global install, system packages, a file tree). A block
// without one fails here, so nothing in the README goes unrun without saying why.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8')
const fences = [...readme.matchAll(/(?:<!-- readme-(example|session|not-run):([^>]*)-->\s*)?```(\w*)\n([\s\S]*?)```/g)].map((m) => ({
  kind: m[1] as 'example' | 'session' | 'not-run' | undefined,
  marker: m[2]?.trim(),
  lang: m[3]!,
  code: m[4]!,
  line: readme.slice(0, m.index).split('\n').length,
}))
const tsBlocks = fences.filter((f) => f.lang === 'ts')

/** The README's ts blocks as modules to run: a block that continues the one before joins it. */
function programs(): string[] {
  const out: string[] = []
  for (const block of tsBlocks) {
    if (block.marker?.startsWith('continues') && out.length > 0) out[out.length - 1] += `\n${withChecks(block.code)}`
    else out.push(block.code)
  }
  return out
}

/** `res.status // 201` becomes a check that throws when `res.status` is not 201. */
function withChecks(code: string): string {
  return code.replace(/^(\s*)([\w.$[\]'"]+) \/\/ (\S.*)$/gm, (_line, indent: string, expression: string, value: string) => `${indent}if (JSON.stringify(${expression}) !== JSON.stringify(${value})) throw new Error(${JSON.stringify(`README: ${expression} is not ${value}`)} + ': ' + JSON.stringify(${expression}))`)
}

test('every block in the README is run by a test or says why not; the unit example is at most ~25 lines', () => {
  assert.ok(tsBlocks.length >= 2)
  for (const block of fences) {
    const at = `README.md line ${block.line}:\n${block.code.slice(0, 200)}`
    assert.ok(block.kind !== undefined, `a block without a readme-example, readme-session or readme-not-run marker right above it, ${at}`)
    if (block.lang === 'ts') assert.is(block.kind, 'example', `a ts block runs here (readme-example), ${at}`)
    if (block.kind === 'example') assert.is(block.lang, 'ts', `only ts blocks run here, ${at}`)
    if (block.kind === 'session') assert.is(block.lang, 'sh', `a session is a sh block, ${at}`)
    if (block.kind === 'not-run') assert.ok((block.marker ?? '').length >= 10, `readme-not-run says why, ${at}`)
  }
  assert.ok(fences.some((f) => f.kind === 'session'), 'the newcomer session is marked')
  assert.ok(tsBlocks[0]!.code.trim().split('\n').length <= 26)
  for (const fence of fences) assert.ok(fence.lang !== '', `every block names its language (ts, sh or text):\n${fence.code.slice(0, 120)}`)
})

test('the README examples answer as the README says', async () => {
  const [unitExample, ...others] = programs()
  const target = fileURLToPath(new URL('./.readme-example.generated.ts', import.meta.url))
  writeFileSync(target, `${unitExample!}\nawait app.close()\n`)
  try {
    // the unit example with its inject snippet: it checks `res.status // 201` itself
    await import(target)
    // the same example again, fresh, against what the prose around it promises
    writeFileSync(target, tsBlocks[0]!.code)
    const { app } = (await import(`${target}?again`)) as { app: import('trefoil').App }
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
    for (const [i, program] of others.entries()) {
      writeFileSync(target, program)
      await import(`${target}?block=${i}`)
    }
  } finally {
    rmSync(target, { force: true })
  }
})

test.run()
