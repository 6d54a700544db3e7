import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Validator } from '@seriousme/openapi-schema-validator'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose'
import { createApp, defineAuth, defineUnit, openapi, t, type App } from 'trefoil'

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256'
const ISSUER = 'https://login.example.org'
const AUDIENCE = 'fieldwork'

interface User {
  id: string
  name: string
  admin: boolean
}
const users = new Map<string, User>([
  ['alice', { id: 'alice', name: 'Alice', admin: false }],
  ['root', { id: 'root', name: 'Root', admin: true }],
])
// alice maps in project 1 and validates in project 2; she has no role in project 3
const projectRoles = new Map<string, 'mapper' | 'validator' | 'field_manager' | 'project_manager'>([
  ['alice:1', 'mapper'],
  ['alice:2', 'validator'],
])
let loads = 0

const auth = defineAuth({
  secret: SECRET,
  issuer: ISSUER,
  audience: AUDIENCE,
  loadUser: (claims) => {
    loads++
    return users.get(String(claims.sub))
  },
  roleIn: (user, projectId) => projectRoles.get(`${user.id}:${projectId}`),
  isAdmin: (user) => user.admin,
})

const api = defineUnit('projects', { prefix: '/v1' }, (r) => {
  r.get('/me', { use: { user: auth.currentUser } }, ({ user }) => user)
  r.get('/projects/:projectId', { use: { grant: auth.requireRole('validator'), user: auth.currentUser } }, ({ grant, user }) => ({ project: grant.projectId, role: grant.role, same: grant.user === user }))
})
const app = createApp({ plugins: [api, openapi({ title: 'Auth', version: '1' })] })

async function token(claims: JWTPayload = {}, edit: (jwt: SignJWT) => SignJWT = (jwt) => jwt, secret = SECRET): Promise<string> {
  const jwt = new SignJWT({ sub: 'alice', ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('10m')
  return edit(jwt).sign(new TextEncoder().encode(secret))
}

async function get(url: string, authorization?: string, target: App = app) {
  return target.inject({ url, headers: authorization === undefined ? {} : { authorization } })
}

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

test('no Authorization header: 401 "Not authenticated" with a bare Bearer challenge', async () => {
  const res = await get('/v1/me')
  assert.is(res.status, 401)
  assert.equal(res.json(), { detail: 'Not authenticated' })
  assert.is(res.headers['www-authenticate'], 'Bearer')
})

test('a malformed Authorization header: 401 invalid_request', async () => {
  for (const header of ['Basic YWxpY2U6c2VjcmV0', 'Bearer', 'Bearer a b', 'Token abc', 'Bearer <script>']) {
    const res = await get('/v1/me', header)
    assert.is(res.status, 401, header)
    assert.equal(res.json(), { detail: 'Invalid authorization header: expected "Bearer <token>"' })
    assert.is(res.headers['www-authenticate'], 'Bearer error="invalid_request", error_description="Invalid authorization header: expected Bearer <token>"')
  }
})

test('a token that is not a JWT: 401 invalid_token', async () => {
  const res = await get('/v1/me', 'Bearer not.a.jwt')
  assert.is(res.status, 401)
  assert.equal(res.json(), { detail: 'Invalid token' })
  assert.is(res.headers['www-authenticate'], 'Bearer error="invalid_token", error_description="Invalid token"')
})

test('a bad signature: 401', async () => {
  const forged = await token({}, (jwt) => jwt, 'another-secret-that-is-also-long-enough-xx')
  const res = await get('/v1/me', `Bearer ${forged}`)
  assert.is(res.status, 401)
  assert.equal(res.json(), { detail: 'Invalid token: signature check failed' })
  // a valid token with one payload byte changed fails the same way
  const [h, , s] = (await token()).split('.')
  const tampered = await get('/v1/me', `Bearer ${h}.${b64({ sub: 'root', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })}.${s}`)
  assert.is(tampered.status, 401)
  assert.equal(tampered.json(), { detail: 'Invalid token: signature check failed' })
})

test('an expired token: 401 "Token has expired"', async () => {
  const expired = await token({}, (jwt) => jwt.setExpirationTime(Math.floor(Date.now() / 1000) - 5))
  const res = await get('/v1/me', `Bearer ${expired}`)
  assert.is(res.status, 401)
  assert.equal(res.json(), { detail: 'Token has expired' })
  assert.is(res.headers['www-authenticate'], 'Bearer error="invalid_token", error_description="Token has expired"')
})

test('a token not valid yet (nbf), or without exp: 401', async () => {
  const early = await token({}, (jwt) => jwt.setNotBefore(Math.floor(Date.now() / 1000) + 300))
  const res = await get('/v1/me', `Bearer ${early}`)
  assert.is(res.status, 401)
  assert.equal(res.json(), { detail: 'Token is not valid yet' })
  const forever = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).sign(new TextEncoder().encode(SECRET))
  const noExp = await get('/v1/me', `Bearer ${forever}`)
  assert.is(noExp.status, 401)
  assert.equal(noExp.json(), { detail: 'Invalid token: exp claim check failed' })
})

test('alg "none": 401, whatever the payload says', async () => {
  const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'root', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })}.`
  const res = await get('/v1/me', `Bearer ${unsigned}`)
  assert.is(res.status, 401)
  assert.equal(res.json(), { detail: 'Invalid token: algorithm not allowed' })
})

test('a wrong audience or issuer: 401', async () => {
  const wrongAud = await token({}, (jwt) => jwt.setAudience('another-app'))
  const res = await get('/v1/me', `Bearer ${wrongAud}`)
  assert.is(res.status, 401)
  assert.equal(res.json(), { detail: 'Invalid token: wrong audience' })
  const wrongIss = await token({}, (jwt) => jwt.setIssuer('https://evil.example.org'))
  const res2 = await get('/v1/me', `Bearer ${wrongIss}`)
  assert.is(res2.status, 401)
  assert.equal(res2.json(), { detail: 'Invalid token: wrong issuer' })
})

test('an RS256 token sent to an HS256 app: 401 (no algorithm confusion)', async () => {
  const { privateKey } = await generateKeyPair('RS256')
  const rs = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'RS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(privateKey)
  const res = await get('/v1/me', `Bearer ${rs}`)
  assert.is(res.status, 401)
  assert.equal(res.json(), { detail: 'Invalid token: algorithm not allowed' })
})

test('a valid token: 200 with the user loaded by the app; an unknown user: 401', async () => {
  const res = await get('/v1/me', `Bearer ${await token()}`)
  assert.is(res.status, 200)
  assert.equal(res.json(), { id: 'alice', name: 'Alice', admin: false })
  const ghost = await get('/v1/me', `Bearer ${await token({ sub: 'ghost' })}`)
  assert.is(ghost.status, 401)
  assert.equal(ghost.json(), { detail: 'Invalid token: unknown user' })
})

test('requireRole: too low in this project → 403 naming the role; enough in another → 200', async () => {
  const bearer = `Bearer ${await token()}`
  const low = await get('/v1/projects/1', bearer)
  assert.is(low.status, 403)
  assert.equal(low.json(), { detail: 'Missing role "validator" in project 1: you are mapper', code: 'role_required' })
  const none = await get('/v1/projects/3', bearer)
  assert.is(none.status, 403)
  assert.equal(none.json(), { detail: 'Missing role "validator" in project 3: you have no role in this project', code: 'role_required' })
  const enough = await get('/v1/projects/2', bearer)
  assert.is(enough.status, 200)
  assert.equal(enough.json(), { project: 2, role: 'validator', same: true })
  const admin = await get('/v1/projects/3', `Bearer ${await token({ sub: 'root' })}`)
  assert.is(admin.status, 200)
  assert.equal(admin.json(), { project: 3, role: 'admin', same: true })
  const bad = await get('/v1/projects/abc', bearer)
  assert.is(bad.status, 422)
  assert.equal(bad.json().detail[0].loc, ['path', 'projectId'])
})

test('currentUser is loaded once per request, however many dependencies chain on it', async () => {
  loads = 0
  await get('/v1/projects/2', `Bearer ${await token()}`)
  assert.is(loads, 1)
  await get('/v1/projects/2', `Bearer ${await token()}`)
  assert.is(loads, 2)
})

test('requireRole returns one dependency per role and rejects unknown roles', () => {
  assert.is(auth.requireRole('mapper'), auth.requireRole('mapper'))
  assert.throws(() => auth.requireRole('owner' as 'mapper'), /Cannot require role "owner": the roles are mapper, validator, field_manager, project_manager/)
})

test('the sketch reads: destructured currentUser / requireRole, typed from loadUser and the roles', async () => {
  const { currentUser, requireRole } = auth
  const unit = defineUnit('sketch', { prefix: '/v1/projects' }, (r) => {
    r.get('/:projectId/summary', { use: { role: requireRole('mapper'), user: currentUser } }, ({ role, user }) => {
      const name: string = user.name // User, as loadUser returns it
      const projectId: number = role.projectId // the param, coerced by its schema
      const held: 'mapper' | 'validator' | 'field_manager' | 'project_manager' | 'admin' = role.role
      return { name, projectId, held }
    })
  })
  // @ts-expect-error a role that is not in the list does not compile
  assert.throws(() => requireRole('owner'))
  const sketch = createApp({ plugins: [unit] })
  const res = await get('/v1/projects/1/summary', `Bearer ${await token()}`, sketch)
  assert.equal(res.json(), { name: 'Alice', projectId: 1, held: 'mapper' })
})

test('defineAuth refuses configurations that invite trouble, naming the problem', () => {
  assert.throws(() => defineAuth({ secret: 'short' }), /Cannot use a token secret of 5 bytes: use at least 32/)
  assert.throws(() => defineAuth({}), /exactly one of secret or jwksUrl/)
  assert.throws(() => defineAuth({ secret: SECRET, jwksUrl: 'https://x.example.org/jwks' }), /exactly one of secret or jwksUrl/)
  assert.throws(() => defineAuth({ jwksUrl: 'https://x.example.org/jwks', algorithms: ['HS256'] }), /Cannot verify tokens signed with "HS256" using a JWKS/)
  assert.throws(() => defineAuth({ secret: SECRET, algorithms: ['RS256'] }), /Cannot verify tokens signed with "RS256" using a secret/)
  assert.throws(() => defineAuth({ secret: SECRET, algorithms: ['none'] }), /"none"/)
})

test('the OpenAPI document lists the bearer scheme and the 401/403 of the auth dependencies', async () => {
  const doc = (await app.inject({ url: '/openapi.json' })).json()
  assert.equal(doc.components.securitySchemes, { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } })
  const op = doc.paths['/v1/projects/{projectId}'].get
  assert.equal(op.security, [{ bearerAuth: [] }])
  assert.equal(Object.keys(op.responses), ['200', '401', '403', '422'])
  assert.equal(op.responses['401'], {
    description: 'Unauthorized',
    headers: { 'WWW-Authenticate': { description: 'The authentication scheme to use (RFC 6750)', schema: { type: 'string' } } },
    content: { 'application/json': { schema: { $ref: '#/components/schemas/HTTPError' } } },
  })
  assert.equal(op.responses['403'], { description: 'Forbidden', content: { 'application/json': { schema: { $ref: '#/components/schemas/HTTPError' } } } })
  assert.equal(op.parameters, [{ name: 'projectId', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }])
  assert.equal(Object.keys(doc.paths['/v1/me'].get.responses), ['200', '401'])
  assert.equal(doc.paths['/v1/me'].get.security, [{ bearerAuth: [] }])
  const result = await new Validator().validate(doc)
  assert.ok(result.valid, JSON.stringify(result.errors))
})

// JWKS: keys served by a real local HTTP server, as an identity provider would
let jwksServer: Server | undefined
async function serveJwks(keys: object[]): Promise<string> {
  jwksServer = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ keys }))
  })
  await new Promise<void>((resolve) => jwksServer!.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`
}

test('JWKS: RS256 and ES256 tokens verify against keys fetched from the issuer; HS256 signed with the public key does not', async () => {
  const rsa = await generateKeyPair('RS256', { extractable: true })
  const ec = await generateKeyPair('ES256', { extractable: true })
  const url = await serveJwks([
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ])
  try {
    const idp = defineAuth({ jwksUrl: url, issuer: ISSUER, audience: AUDIENCE })
    const unit = defineUnit('me', (r) => r.get('/me', { use: { claims: idp.bearer } }, ({ claims }) => ({ sub: claims.sub })))
    const jwksApp = createApp({ plugins: [unit] })
    const sign = (alg: string, kid: string, key: CryptoKey | Uint8Array) => new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg, kid }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(key)

    const rs = await get('/me', `Bearer ${await sign('RS256', 'rsa-1', rsa.privateKey)}`, jwksApp)
    assert.is(rs.status, 200)
    assert.equal(rs.json(), { sub: 'alice' })
    const es = await get('/me', `Bearer ${await sign('ES256', 'ec-1', ec.privateKey)}`, jwksApp)
    assert.is(es.status, 200)

    // the classic confusion: HMAC "signed" with the public key the attacker can download
    const publicPem = await exportSPKI(rsa.publicKey)
    const confused = await get('/me', `Bearer ${await sign('HS256', 'rsa-1', new TextEncoder().encode(publicPem))}`, jwksApp)
    assert.is(confused.status, 401)
    assert.equal(confused.json(), { detail: 'Invalid token: algorithm not allowed' })

    const other = await generateKeyPair('RS256')
    const unknownKey = await get('/me', `Bearer ${await sign('RS256', 'rsa-2', other.privateKey)}`, jwksApp)
    assert.is(unknownKey.status, 401)
    assert.equal(unknownKey.json(), { detail: 'Invalid token: unknown signing key' })

    const none = await get('/me', `Bearer ${b64({ alg: 'none', kid: 'rsa-1' })}.${b64({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 60 })}.`, jwksApp)
    assert.is(none.status, 401)
    assert.equal(none.json(), { detail: 'Invalid token: algorithm not allowed' })
  } finally {
    await new Promise((resolve) => jwksServer!.close(resolve))
  }
})

test('JWKS unreachable: 503, not 401 (the token may be fine)', async () => {
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as AddressInfo).port
  await new Promise((resolve) => closed.close(resolve))
  const idp = defineAuth({ jwksUrl: `http://127.0.0.1:${port}/jwks.json` })
  const unit = defineUnit('me', (r) => r.get('/me', { use: { claims: idp.bearer } }, ({ claims }) => claims))
  const down = createApp({ plugins: [unit] })
  const { privateKey } = await generateKeyPair('RS256')
  const jwt = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'RS256', kid: 'k' }).setExpirationTime('5m').sign(privateKey)
  const res = await get('/me', `Bearer ${jwt}`, down)
  assert.is(res.status, 503)
  assert.equal(res.json(), { detail: 'Service Unavailable' })
})

test.run()
