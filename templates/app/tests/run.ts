// `npm test`: every tests/*.test.ts through Node's test runner, one file at a time (they share
// the tests' database), found here rather than by a shell glob so the script runs on any shell.
import { readdirSync } from 'node:fs'
import { run } from 'node:test'
import { spec } from 'node:test/reporters'
import { fileURLToPath } from 'node:url'

const folder = fileURLToPath(new URL('.', import.meta.url))
const files = readdirSync(folder)
  .filter((name) => name.endsWith('.test.ts'))
  .sort()
  .map((name) => `${folder}${name}`)

// each file runs in its own process, with this one's flags (`--import tsx`, `--env-file`)
const stream = run({ files, concurrency: 1 })
stream.on('test:fail', () => {
  process.exitCode = 1
})
stream.compose(new spec()).pipe(process.stdout)
