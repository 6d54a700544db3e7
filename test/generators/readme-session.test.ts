// The README's newcomer session, run as written: its shell blocks marked `readme-session` are read
// from README.md (never retyped here), in order (the first one, then the unit changes that continue
// it in the same service), and each line is run in a temp folder with the real `yo`, npm and curl.
// A line that starts the server (`npm start`) leaves it running for the lines after it that talk to
// it, with the README's `127.0.0.1:8000` pointed at the port the server got. Takes a few minutes:
// yo installs the new service as the README says it does.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ok, repo, start, workspace } from './real.js'

const MARKER = /<!-- readme-session:[^>]*-->\s*```sh\n([\s\S]*?)```/g

/** The lines of the README's marked shell sessions, in order, comments removed. */
function sessionLines(): string[] {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8')
  const blocks = [...readme.matchAll(MARKER)].map((m) => m[1]!)
  assert.ok(blocks.length >= 2, 'the README marks its newcomer session and the unit changes that continue it')
  return blocks.flatMap((block) => block.split('\n')).map((line) => line.replace(/\s+#.*$/, '').trim()).filter((line) => line !== '')
}

/** A command line's words, with "double" or 'single' quoted words kept whole. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!)
}

const space = workspace('trefoil-session-')
test.after(() => space.done())

test("the README's newcomer session runs as written: a service, its server answering, a unit added, tests and types green", async () => {
  await space.prepare()
  let cwd = space.work
  let server: { base: string; stop: () => Promise<void> } | undefined
  const outputs: { line: string; output: string }[] = []
  try {
    for (const line of sessionLines()) {
      // a server left running serves only the lines that talk to it
      if (server && !line.includes('127.0.0.1:8000')) {
        await server.stop()
        server = undefined
      }
      if (line.startsWith('cd ')) {
        cwd = join(cwd, line.slice(3).trim())
        continue
      }
      if (line.startsWith('yo ')) {
        const ran = await space.yo(words(line).slice(1), cwd)
        ok(ran, line)
        outputs.push({ line, output: ran.output })
        continue
      }
      const parts = line.split('&&').map((part) => part.trim())
      const startsServer = parts.at(-1) === 'npm start'
      for (const part of startsServer ? parts.slice(0, -1) : parts) {
        const command = server ? part.replaceAll('http://127.0.0.1:8000', server.base) : part
        const ran = await space.run(part, 'bash', ['-c', command], { cwd, timeoutMs: 600_000 })
        ok(ran, part)
        outputs.push({ line: part, output: ran.output })
      }
      if (startsServer) server = await start(space, cwd)
    }
  } finally {
    await server?.stop()
  }
  // what the session promises along the way: the POST made a task; the tests and types passed
  const posted = outputs.find((o) => o.line.startsWith('curl -X POST'))
  assert.ok(posted, 'the session posts a task')
  assert.match(posted.output, /"name":"Map the river"/)
  const tests = outputs.filter((o) => o.line === 'npm test')
  assert.ok(tests.length >= 3, 'the session runs the tests before and after adding a unit, and after changing it')
  for (const run of tests) assert.match(run.output, /ℹ fail 0\n/)
  // the unit changes: each a migration of its own, doing what the README's comments say
  const migrations = readdirSync(join(cwd, 'src', 'db', 'migrations')).sort()
  const sql = migrations.map((file) => readFileSync(join(cwd, 'src', 'db', 'migrations', file), 'utf8'))
  const changes = sql.slice(-3).join('\n')
  for (const statement of ['ADD COLUMN due', 'ADD COLUMN site', 'RENAME COLUMN title TO summary', "ADD VALUE 'audit'", 'DROP COLUMN done', 'USING']) assert.ok(changes.includes(statement), `a migration does ${statement}:\n${changes}`)
})

test.run()
