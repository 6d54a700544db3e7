// Durable jobs of the submissions: work that must happen once, after a commit, on whichever
// instance takes it (pg-boss in the shared PostgreSQL), and is retried if the store fails.
import { defineJob, t } from 'trefoil'
import { attachmentStorage } from './storage.js'

/**
 * Deletes stored attachment files whose rows are gone (the photos of a deleted project). Sent in
 * the deleting transaction, so it exists only if the rows were deleted; deleting a file that is
 * already gone is not an error, so a retry after a partial run is safe.
 */
export const deleteFiles = defineJob(
  'delete-files',
  t.Object({ keys: t.Array(t.String({ minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: 100_000 }) }),
  async ({ keys }, { app }) => {
    // a few at a time: a project's thousands of photos must not open thousands of sockets
    for (let i = 0; i < keys.length; i += 16) await Promise.all(keys.slice(i, i + 16).map((key) => attachmentStorage.delete(key)))
    app.log.info({ job: 'delete-files', files: keys.length }, 'Deleted the stored files of deleted submissions')
    return { deleted: keys.length }
  },
  { retryLimit: 5, retryDelay: 10 },
)
