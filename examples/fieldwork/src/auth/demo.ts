// Demo accounts for a first look: on the first start in development (no account exists yet) an
// org admin, a project manager, a validator and a mapper are created with random passwords,
// members of one demo project, and their sign-ins are printed once, as a block on the console
// (never in a log record). They are never made again; `npm run demo:reset` gives them new passwords.
import { randomBytes } from 'node:crypto'
import { definePlugin, type Db, type Plugin } from 'trefoil'
import { settings } from '../config.js'
import { databasePlugin } from '../db/database.js'
import type { ProjectRole } from '../db/enums.js'
import { hashPassword } from './logic.js'

/** A demo account as printed: how to sign in, and what it may do. */
export interface DemoSignIn {
  email: string
  password: string
  role: ProjectRole | 'org admin'
}

const ACCOUNTS: readonly { name: string; email: string; role: ProjectRole | 'org admin' }[] = [
  { name: 'Ada Admin', email: 'admin@example.org', role: 'org admin' },
  { name: 'Pat Manager', email: 'manager@example.org', role: 'project_manager' },
  { name: 'Vic Validator', email: 'validator@example.org', role: 'validator' },
  { name: 'Mo Mapper', email: 'mapper@example.org', role: 'mapper' },
]

// a few blocks of Dar es Salaam, about 1.1 × 1.1 km: split into 100 m tasks it makes ~120 of them
const DEMO_AREA = { type: 'Polygon', coordinates: [[[39.27, -6.82], [39.28, -6.82], [39.28, -6.81], [39.27, -6.81], [39.27, -6.82]]] }

// one number for the advisory lock, so processes starting together seed once
const SEED_LOCK = 0x6669656c64

/**
 * Creates the demo accounts and project when the database has no account yet; resolves to their
 * sign-ins, or null when there were accounts already (the demo is made once, never again).
 */
export async function seedDemoData(db: Db): Promise<DemoSignIn[] | null> {
  // every start but the first finds accounts: asked before hashing, so those starts skip the four
  // hashes (~170 ms on two cores); the check under the lock below still decides
  if ((await db.one<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM users) AS any')).any) return null
  const passwords = ACCOUNTS.map(() => randomBytes(9).toString('base64url'))
  // hashed before the transaction: ~50 ms each, no lock held meanwhile
  const hashes = await Promise.all(passwords.map((password) => hashPassword(password)))
  return db.tx('demo-data', async (tx) => {
    await tx.one('SELECT pg_advisory_xact_lock($1)::text AS locked', [SEED_LOCK])
    if ((await tx.one<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM users) AS any')).any) return null
    const ids: number[] = []
    for (const [i, account] of ACCOUNTS.entries()) {
      const row = await tx.one<{ id: number }>('INSERT INTO users (email, name, password_hash, is_admin) VALUES ($1, $2, $3, $4) RETURNING id', [account.email, account.name, hashes[i], account.role === 'org admin'])
      ids.push(row.id)
    }
    const project = await tx.one<{ id: number }>(
      'INSERT INTO projects (name, description, priority, area, created_by) VALUES ($1, $2, 8, $3::jsonb, $4) RETURNING id',
      ['Demo: clinics of Kariakoo', 'Map the health facilities of a few blocks, then check what the field team sent. Split the area into tasks to begin.', JSON.stringify(DEMO_AREA), ids[0]],
    )
    for (const [i, account] of ACCOUNTS.entries()) {
      const role = account.role === 'org admin' ? 'project_manager' : account.role
      await tx.none('INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, $3)', [project.id, ids[i], role])
    }
    return ACCOUNTS.map((account, i) => ({ email: account.email, password: passwords[i]!, role: account.role }))
  })
}

/**
 * Gives the demo accounts new random passwords (making any that is missing again, with its
 * organisation role) and answers their sign-ins: what `npm run demo:reset` prints.
 */
export async function resetDemoAccounts(db: Db): Promise<DemoSignIn[]> {
  const passwords = ACCOUNTS.map(() => randomBytes(9).toString('base64url'))
  const hashes = await Promise.all(passwords.map((password) => hashPassword(password)))
  await db.tx('demo-reset', async (tx) => {
    for (const [i, account] of ACCOUNTS.entries()) {
      await tx.none(
        `INSERT INTO users (email, name, password_hash, is_admin) VALUES ($1, $2, $3, $4)
         ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, is_admin = EXCLUDED.is_admin`,
        [account.email, account.name, hashes[i], account.role === 'org admin'],
      )
    }
  })
  return ACCOUNTS.map((account, i) => ({ email: account.email, password: passwords[i]!, role: account.role }))
}

/** The demo sign-ins as a block to read on a console: one account a line, columns aligned. */
export function demoBlock(accounts: readonly DemoSignIn[], url?: string): string {
  const width = Math.max(...accounts.map((account) => account.email.length))
  const lines = accounts.map((account) => `    ${account.email.padEnd(width)}  ${account.password}  ${account.role.replaceAll('_', ' ')}`)
  return [
    '',
    '  Demo accounts (passwords shown this once; `npm run demo:reset` makes new ones):',
    '',
    ...lines,
    '',
    ...(url ? [`  Sign in at ${url}/login`, ''] : []),
    '',
  ].join('\n')
}

/**
 * Seeds the demo data at start-up in development (`NODE_ENV=development`, what `npm start` runs
 * with), printing the sign-ins once as a block on the console. Other environments start empty.
 */
export const demoData: Plugin = definePlugin({
  name: 'demo-data',
  requires: [databasePlugin.name],
  async setup(app) {
    if (settings.NODE_ENV !== 'development') return
    const made = await seedDemoData(app.plugin(databasePlugin).db)
    if (!made) return
    // on the console, not in the log: a password has no place in a log record that is kept
    // PORT=0 takes a free port, known only once listening (the Listening line names it): no address here then
    process.stdout.write(demoBlock(made, settings.PORT ? `http://${settings.HOST}:${settings.PORT}` : undefined))
    app.log.info({ demoAccounts: made.map((account) => account.email) }, 'Demo accounts created: their sign-ins are printed above, this once')
  },
})
