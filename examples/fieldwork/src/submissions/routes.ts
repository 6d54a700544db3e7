// Submissions from the field for a task: form fields and attachments in one multipart request
// (the guide's FormData endpoint), listed per task, attachments downloaded by id (resumable),
// reviewed by validators, photos' thumbnails made on the worker pool and kept. JSON for API
// clients, fragments and pages for browsers.
import { defineUnit, depends, fileResponses, storedFile, t, workers } from 'trefoil'
import { database } from '../db/database.js'
import { PROJECT_ROLES } from '../db/enums.js'
import { requireRole, signedIn, task } from '../deps.js'
import { cachedThumbnail, THUMBNAIL_BOX } from './images/thumbnails.js'
import { attachment, attachmentFile, attachmentStorage, createSubmission, listSubmissions, reviewSubmission, submission } from './logic.js'
import { AttachmentQuery, ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, MAX_XML_BYTES, ReviewIn, SubmissionFields, SubmissionOut } from './schemas.js'

/**
 * The mapper-or-above grant every submissions route needs, also telling the views whether the
 * viewer may review (`ctx.state.canReview`), so that the review buttons show only to those who
 * may press them. The route checks the role again: the buttons are a courtesy, not the rule.
 */
const memberGrant = depends({ name: 'memberGrant', use: { grant: requireRole('mapper') } }, function memberGrant({ grant, ctx }) {
  ctx.state.canReview = grant.role === 'admin' || PROJECT_ROLES.indexOf(grant.role) >= PROJECT_ROLES.indexOf('validator')
  return grant
})

/** The submissions unit: `/v1/projects/:projectId/tasks/:taskId/submissions` (mappers and up; reviews by validators). */
export default defineUnit('submissions', { prefix: '/v1/projects/:projectId/tasks/:taskId/submissions', use: { user: signedIn, task, grant: memberGrant }, description: 'What mappers collected in the field for a task, with photos, and its review' }, (r) => {
  r.post(
    '/',
    {
      multipart: {
        fields: SubmissionFields,
        // photos stream into the attachments' storage while they arrive (to S3 part by part, no
        // temp file on this instance); those createSubmission does not keep are deleted after
        files: { attachments: { many: MAX_ATTACHMENTS, maxBytes: MAX_ATTACHMENT_BYTES, types: ATTACHMENT_TYPES, storage: attachmentStorage } },
        // a text field past MAX_XML_BYTES stops the read with 413 (device_id has its own
        // 128-character rule). One byte more than the limit: busboy, under the runtime, calls a
        // field that *reaches* its size limit truncated, so the documented maximum itself must
        // fit below it. (413's message then names one byte more than the documented maximum.)
        maxFieldBytes: MAX_XML_BYTES + 1,
        maxFields: 10,
      },
      use: { db: database, pool: workers },
      status: 201,
      response: { 201: SubmissionOut },
      view: 'submissions/item',
      summary: 'Send a submission with its photos (multipart/form-data: submission_xml, device_id, attachments)',
    },
    ({ fields, files, task, grant, db, pool }) => createSubmission(db, { ...fields, task, user: grant.user, files: files.attachments, pool }),
  )

  r.get('/', { use: { db: database }, response: t.Array(SubmissionOut), view: 'submissions/list', summary: "List a task's submissions, newest first" }, ({ db, task }) => listSubmissions(db, task))

  r.get('/:submissionId', { use: { submission }, response: SubmissionOut, view: 'submissions/show', summary: 'Get a submission' }, ({ submission }) => submission)

  r.patch(
    '/:submissionId',
    { body: ReviewIn, use: { submission, reviewer: requireRole('validator'), db: database }, response: SubmissionOut, view: 'submissions/item', summary: 'Review a submission: approved, has_issues or rejected (validators and up)' },
    ({ body, task, submission, reviewer, db }) => reviewSubmission(db, { ...body, task, submission, reviewer: reviewer.user }),
  )

  r.get(
    '/:submissionId/attachments/:attachmentId',
    { query: AttachmentQuery, use: { attachment }, responses: fileResponses({ types: ATTACHMENT_TYPES, disposition: 'attachment with the original file name, or inline with `?inline=true`' }), summary: 'Download an attachment as it was sent, under its original name (Range requests resume); `?inline=true` shows a photo in the browser instead' },
    ({ attachment, query, ctx }) => {
      const { key, download, type } = attachmentFile(attachment)
      // photos only (their types were read from their bytes): a browser shows them, it runs nothing
      return query.inline ? storedFile(ctx, attachmentStorage, key, { type, inline: true, cacheControl: 'private, max-age=3600' }) : storedFile(ctx, attachmentStorage, key, { download, type })
    },
  )

  r.get(
    '/:submissionId/attachments/:attachmentId/thumbnail',
    {
      use: { attachment, pool: workers },
      errors: [422],
      responses: fileResponses({ types: ['image/jpeg'], disposition: 'inline: a browser shows it' }),
      summary: `A photo's thumbnail: a JPEG within ${THUMBNAIL_BOX} × ${THUMBNAIL_BOX} px, turned as the photo was taken, made on the worker pool the first time it is asked for and kept (ETag: 304 when the browser has it); 422 for a photo that cannot be read`,
    },
    async ({ attachment, pool, ctx }) => {
      const key = await cachedThumbnail(attachmentStorage, pool, { key: attachment.storedName, sha256: attachment.sha256, mediaType: attachment.mediaType })
      // an attachment never changes, and its thumbnail's key follows its bytes: a day in the browser, then its ETag
      return storedFile(ctx, attachmentStorage, key, { type: 'image/jpeg', inline: true, cacheControl: 'private, max-age=86400' })
    },
  )
})
