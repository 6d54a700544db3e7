// `node --import tsx src/auth/set-role.ts <email> <role>`: gives an account a role from the command
// line, which is how a service gets its first holder of the highest role (who can then give roles
// over the API). Works on the service's database: stop `npm start` first when it is the embedded one.
import { fileURLToPath } from 'node:url'
import { databasePlugin } from '../db/database.js'
import { users } from '../db/models.js'
import { app } from '../main.js'
import { setRole } from './logic.js'
import { ROLES, type Role } from './schemas.js'

/** Gives the account of `email` the role `role`; answers what it did, or why it did nothing. */
export async function setRoleByEmail(email: string, role: string): Promise<{ ok: boolean; message: string }> {
  if (!ROLES.includes(role as Role)) return { ok: false, message: `No role "${role}": the roles are ${ROLES.join(', ')}` }
  await app.start()
  try {
    const db = app.plugin(databasePlugin).db
    const user = await users.byEmail(db, email.trim().toLowerCase())
    if (!user) return { ok: false, message: `No account with the email ${email}` }
    await setRole(db, user.id, role as Role)
    return { ok: true, message: `${user.email} is now ${role}` }
  } finally {
    await app.close()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [email, role] = process.argv.slice(2)
  if (email === undefined || role === undefined) {
    console.error(`Usage: node --import tsx src/auth/set-role.ts <email> <role>   (roles: ${ROLES.join(', ')})`)
    process.exitCode = 1
  } else {
    const outcome = await setRoleByEmail(email, role)
    if (outcome.ok) console.log(outcome.message)
    else {
      console.error(outcome.message)
      process.exitCode = 1
    }
  }
}
