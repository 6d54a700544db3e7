// The database: an external PostgreSQL from the settings, or the embedded one in DATA_DIR/pgdata;
// migrations applied at start-up; what each constraint means to a client.
import { join } from 'node:path'
import { defineDatabase } from 'trefoil'
import { settings } from '../config.js'

/** The database plugin and its `db` / `transaction` dependencies. */
export const { plugin: databasePlugin, db: database, transaction } = defineDatabase({
  migrations: new URL('./migrations', import.meta.url),
  dataDir: join(settings.DATA_DIR, 'pgdata'),
  constraints: {
    users_email_key: { status: 409, message: 'An account with this email already exists', field: 'email' },
    projects_name_key: { status: 409, message: 'A project with this name already exists', field: 'name' },
    project_members_user_id_fkey: { status: 422, message: 'No user has this id', field: 'userId' },
    tasks_project_index_key: 'This project already has tasks',
    tasks_one_lock_per_user_key: 'You already hold a task in this project: finish or reset it first',
  },
})
