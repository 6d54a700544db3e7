// Submissions logic: a submission's rows and its files land together (files moved into the
// uploads folder inside the transaction, removed again if it fails), and downloads by id.
import { rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { depends, NotFound, type Db, type UploadedFile } from 'trefoil'
import { settings } from '../config.js'
import { database } from '../db/database.js'
import { attachments, submissions, type Attachment, type Submission, type Task, type User } from '../db/models.js'
import { task } from '../tasks/logic.js'
import { AttachmentParams, SubmissionParams, type SubmissionFields, type SubmissionOut } from './schemas.js'

/** Where attachments are kept, under generated names. */
export const UPLOADS_DIR = resolve(settings.DATA_DIR, 'uploads')

/** Records a submission and keeps its files; all of it or, on any failure, none of it. */
export async function createSubmission(db: Db, input: SubmissionFields & { task: Task; user: User; files: readonly UploadedFile[] }): Promise<SubmissionOut> {
  const moved: string[] = []
  try {
    const id = await db.tx('submission', async (tx) => {
      const row = await submissions.insert(tx, { taskId: input.task.id, userId: input.user.id, deviceId: input.deviceId || null, xml: input.xml })
      for (const file of input.files) {
        // the generated stored name, never the client's: no path can be smuggled in
        moved.push(await file.saveTo(UPLOADS_DIR))
        await attachments.insert(tx, { submissionId: row.id, filename: file.originalName, storedName: file.storedName, mediaType: file.mediaType, size: file.size, sha256: file.sha256 })
      }
      return row.id
    })
    return withUrls(input.task, (await submissions.get(db, input.task.id, id))!)
  } catch (error) {
    await Promise.all(moved.map((path) => rm(path, { force: true })))
    throw error
  }
}

/** A task's submissions, newest first. */
export async function listSubmissions(db: Db, forTask: Task): Promise<SubmissionOut[]> {
  return (await submissions.list(db, forTask.id)).map((row) => withUrls(forTask, row))
}

/** The file of an attachment on disk, and how to offer it for download. */
export function attachmentFile(attachment: Attachment): { path: string; download: string; type: string } {
  return { path: join(UPLOADS_DIR, attachment.storedName), download: attachment.filename, type: attachment.mediaType }
}

function withUrls(forTask: Task, row: Submission): SubmissionOut {
  const base = `/v1/projects/${forTask.projectId}/tasks/${forTask.id}/submissions/${row.id}`
  return { ...row, attachments: row.attachments.map((a) => ({ ...a, url: `${base}/attachments/${a.id}` })) }
}

/** The submission named by `:submissionId` in the route's task, or 404. */
export const submission = depends({ params: SubmissionParams, use: { db: database, task }, errors: [404] }, async function submission({ params, db, task }): Promise<SubmissionOut> {
  const row = await submissions.get(db, task.id, params.submissionId)
  if (!row) throw new NotFound(`Submission ${params.submissionId} not found in task ${task.id}`)
  return withUrls(task, row)
})

/** The attachment named by `:attachmentId` in the route's submission, or 404. */
export const attachment = depends({ params: AttachmentParams, use: { db: database, submission }, errors: [404] }, async function attachment({ params, db, submission }): Promise<Attachment> {
  const row = await attachments.get(db, submission.id, params.attachmentId)
  if (!row) throw new NotFound(`Attachment ${params.attachmentId} not found in submission ${submission.id}`)
  return row
})
