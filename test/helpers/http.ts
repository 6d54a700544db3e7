// One request over a real socket, read as a client receives it: status, headers and raw bytes.
import { request } from 'node:http'

/** An answer as it came off the socket. */
export interface RawAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** The body's bytes, exactly as sent. */
  bytes: Buffer
  /** The body decoded as UTF-8. */
  body: string
}

/** Sends `method url` with no body; fails when no complete answer comes within 5 s. */
export function rawRequest(url: string, method = 'GET'): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const bytes = Buffer.concat(chunks)
        resolve({ status: res.statusCode!, headers: res.headers, bytes, body: bytes.toString('utf8') })
      })
    })
    req.on('error', reject)
    // a body shorter than its Content-Length would leave the client waiting
    req.setTimeout(5000, () => req.destroy(new Error('no complete answer within 5 s')))
    req.end()
  })
}
