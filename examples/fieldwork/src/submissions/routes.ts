// Submissions from the field for a task: form fields and attachments in one multipart request
// (the guide's FormData endpoint), listed per task, attachments downloaded by id.
import { defineUnit, file, t } from 'trefoil'
import { requireRole, signedIn } from '../auth/logic.js'
import { database } from '../db/database.js'
import { task } from '../tasks/logic.js'
import { attachment, attachmentFile, createSubmission, listSubmissions, submission } from './logic.js'
import { ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, SubmissionFields, SubmissionOut } from './schemas.js'

/** The submissions unit: `/v1/projects/:projectId/tasks/:taskId/submissions` (mappers and up). */
export default defineUnit('submissions', { prefix: '/v1/projects/:projectId/tasks/:taskId/submissions', use: { user: signedIn, task, grant: requireRole('mapper') } }, (r) => {
  r.post(
    '/',
    {
      multipart: { fields: SubmissionFields, files: { attachments: { many: MAX_ATTACHMENTS, maxBytes: MAX_ATTACHMENT_BYTES, types: ATTACHMENT_TYPES } } },
      use: { db: database },
      status: 201,
      response: { 201: SubmissionOut },
      view: 'submissions/item',
      summary: 'Send a submission with its attachments (multipart/form-data: xml, deviceId, attachments)',
    },
    ({ fields, files, task, grant, db }) => createSubmission(db, { ...fields, task, user: grant.user, files: files.attachments }),
  )

  r.get('/', { use: { db: database }, response: t.Array(SubmissionOut), view: 'submissions/list', summary: "List a task's submissions" }, ({ db, task }) => listSubmissions(db, task))

  r.get('/:submissionId', { use: { submission }, response: SubmissionOut, view: 'submissions/item', summary: 'Get a submission' }, ({ submission }) => submission)

  r.get('/:submissionId/attachments/:attachmentId', { use: { attachment }, summary: "Download an attachment (as it was sent, under its original name)" }, ({ attachment }) => {
    const { path, download, type } = attachmentFile(attachment)
    return file(path, { download, type })
  })
})
