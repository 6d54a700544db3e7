// A pino logger that keeps its lines in memory, so tests can assert what was logged.
import { Writable } from 'node:stream'
import { pino, type Logger } from 'pino'

/** A logger at `level` and the parsed lines it wrote. */
export function captureLogs(level = 'info'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line))
      done()
    },
  })
  return { logger: pino({ level }, sink), lines }
}
