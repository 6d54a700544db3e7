// How a benchmark server talks to the harness: it listens on 127.0.0.1 at $PORT (0: any free
// port), prints `listening <port>` on stdout, and exits cleanly on SIGTERM / SIGINT (so that
// `node --cpu-prof` writes its profile).
import type { Server } from 'node:http'

/** The port to listen on (0 lets the OS choose). */
export const PORT = Number(process.env.PORT ?? 0)
export const HOST = '127.0.0.1'

/** Tells the harness where the server listens, and stops it (then exits) on a signal. */
export function announce(server: Server, close: () => Promise<void> | void = () => closeServer(server)): void {
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('Cannot announce the server: it is not listening on a TCP port')
  process.stdout.write(`listening ${address.port}\n`)
  const stop = (): void => {
    Promise.resolve(close()).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

/** Resolves once `server` listens. */
export function listening(server: Server): Promise<Server> {
  return new Promise((resolve, reject) => {
    if (server.listening) return resolve(server)
    server.once('listening', () => resolve(server))
    server.once('error', reject)
  })
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
