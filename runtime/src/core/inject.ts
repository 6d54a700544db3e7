// The in-process test client: a request through the app's handler without a socket, like
// FastAPI's TestClient. Built on light-my-request (Fastify's `inject`).
import type { IncomingMessage, ServerResponse } from 'node:http'
import { inject as lightInject } from 'light-my-request'

/** A request for `app.inject()`. An object `body` is sent as JSON. */
export interface InjectRequest {
  method?: string
  url: string
  headers?: Record<string, string>
  /** A JSON value, or a string / Buffer sent as is (set `content-type` yourself). */
  body?: unknown
  /** Query parameters added to `url`. */
  query?: Record<string, string | string[]>
}

/** What `app.inject()` answers. */
export interface InjectResponse {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  /** The body as text. */
  body: string
  /** The raw body bytes. */
  rawBody: Buffer
  /** The body parsed as JSON. */
  json<T = any>(): T // eslint-disable-line @typescript-eslint/no-explicit-any -- the caller names the shape
}

/** Runs `request` through `handler` and collects the response. */
export async function inject(handler: (req: IncomingMessage, res: ServerResponse) => void, request: InjectRequest): Promise<InjectResponse> {
  const headers: Record<string, string> = { ...request.headers }
  let payload: string | Buffer | undefined
  if (request.body !== undefined) {
    if (typeof request.body === 'string' || Buffer.isBuffer(request.body)) payload = request.body
    else {
      payload = JSON.stringify(request.body)
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json'
    }
  }
  const response = await lightInject(handler, {
    method: (request.method ?? 'GET').toUpperCase() as 'GET',
    url: request.url,
    headers,
    ...(payload === undefined ? {} : { payload }),
    ...(request.query ? { query: request.query } : {}),
  })
  return {
    status: response.statusCode,
    headers: response.headers,
    body: response.payload,
    rawBody: response.rawPayload,
    json: () => JSON.parse(response.payload),
  }
}
