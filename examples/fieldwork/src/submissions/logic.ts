// Submissions logic: the XML checked before anything is kept; a submission's rows and its files
// land together (the photos arrive in the storage already; they are kept inside the transaction,
// deleted again if it fails, and deleted after the response when never kept);
// reviews by validators; downloads by id. The storage is the uploads folder by default, or object
// storage (STORAGE_URL=s3://…) when several instances must see the same files.
import { defineTask, depends, NotFound, runInWorker, ValidationError, type Db, type UploadedFile, type WorkerPool } from 'trefoil'
import { database } from '../db/database.js'
import type { Task, User } from '../db/models.js'
import { task } from '../deps.js'
import checkXml, { type XmlProblem } from './check-xml.js'
import { formFields } from './form-fields.js'
import { attachmentStorage } from './storage.js'
import { attachments, submissions, type Attachment, type Submission } from './queries.js'
import { AttachmentParams, SubmissionParams, type ReviewIn, type SubmissionFields, type SubmissionOut } from './schemas.js'

export type { Attachment } from './queries.js'

export { attachmentStorage, UPLOADS_DIR } from './storage.js'

/** The worker task that checks large documents (see check-xml.ts). */
export const checkXmlTask = defineTask<typeof import('./check-xml.js')>(new URL('./check-xml.js', import.meta.url))

// below this many characters a check takes under a millisecond: cheaper here than on a thread
const CHECK_IN_PLACE_BELOW = 64 * 1024

/** 422 naming the field, line and column when `xml` is not well-formed. */
export async function requireWellFormed(xml: string, pool: WorkerPool): Promise<void> {
  const problem: XmlProblem | null = xml.length < CHECK_IN_PLACE_BELOW ? checkXml(xml) : await runInWorker(pool, checkXmlTask, xml, { timeoutMs: 10_000 })
  if (problem) {
    throw new ValidationError([{ loc: ['body', 'submission_xml'], msg: `Not well-formed XML at line ${problem.line}, column ${problem.column}: ${problem.message}`, type: 'value_error.xml' }])
  }
}

/** Records a submission and keeps its files; all of it or, on any failure, none of it. */
export async function createSubmission(db: Db, input: SubmissionFields & { task: Task; user: User; files: readonly UploadedFile[]; pool: WorkerPool }): Promise<SubmissionOut> {
  await requireWellFormed(input.submission_xml, input.pool)
  const saved: string[] = []
  try {
    const id = await db.tx('submission', async (tx) => {
      const row = await submissions.insert(tx, { taskRowId: input.task.rowId, userId: input.user.id, deviceId: input.device_id || null, xml: input.submission_xml })
      for (const file of input.files) {
        // kept under the key it arrived under, the generated stored name (never the client's: no
        // path can be smuggled in); no copy, the route streamed it into this storage
        saved.push(await file.saveTo(attachmentStorage))
        await attachments.insert(tx, { submissionId: row.id, filename: file.originalName, storedName: file.storedName, mediaType: file.mediaType, size: file.size, sha256: file.sha256 })
      }
      return row.id
    })
    return withUrls(input.task, (await submissions.get(db, input.task.rowId, id))!)
  } catch (error) {
    await Promise.all(saved.map((key) => attachmentStorage.delete(key).catch(() => undefined)))
    throw error
  }
}

/** A task's submissions, newest first. */
export async function listSubmissions(db: Db, forTask: Task): Promise<SubmissionOut[]> {
  return (await submissions.list(db, forTask.rowId)).map((row) => withUrls(forTask, row))
}

/** Records a validator's review of a submission (a later review replaces it) and returns the submission. */
export async function reviewSubmission(db: Db, input: ReviewIn & { task: Task; submission: SubmissionOut; reviewer: User }): Promise<SubmissionOut> {
  const { task: forTask, submission: reviewed } = input
  const done = await submissions.review(db, { id: reviewed.id, state: input.reviewState, comment: input.comment || null, reviewerId: input.reviewer.id })
  const row = done ? await submissions.get(db, forTask.rowId, reviewed.id) : null
  if (!row) throw new NotFound(`Submission ${reviewed.id} not found in task ${forTask.id}`)
  return withUrls(forTask, row)
}

/** The stored key of an attachment, and how to offer it for download. */
export function attachmentFile(attachment: Attachment): { key: string; download: string; type: string } {
  return { key: attachment.storedName, download: attachment.filename, type: attachment.mediaType }
}

function withUrls(forTask: Task, row: Submission): SubmissionOut {
  const base = `/v1/projects/${forTask.projectId}/tasks/${forTask.id}/submissions/${row.id}`
  return { ...row, url: base, fields: formFields(row.xml), attachments: row.attachments.map((a) => ({ ...a, url: `${base}/attachments/${a.id}` })) }
}

/** The submission named by `:submissionId` in the route's task, or 404. */
export const submission = depends({ params: SubmissionParams, use: { db: database, task }, errors: [404] }, async function submission({ params, db, task }): Promise<SubmissionOut> {
  const row = await submissions.get(db, task.rowId, params.submissionId)
  if (!row) throw new NotFound(`Submission ${params.submissionId} not found in task ${task.id}`)
  return withUrls(task, row)
})

/** The attachment named by `:attachmentId` in the route's submission, or 404. */
export const attachment = depends({ params: AttachmentParams, use: { db: database, submission }, errors: [404] }, async function attachment({ params, db, submission }): Promise<Attachment> {
  const row = await attachments.get(db, submission.id, params.attachmentId)
  if (!row) throw new NotFound(`Attachment ${params.attachmentId} not found in submission ${submission.id}`)
  return row
})
