// Type checks (compiled by `tsc -p tsconfig.json`, never run): a job's payload is typed from its
// schema where it is handled and where it is sent; background tasks take typed arguments.
import { background, defineJob, defineUnit, jobs, t, type JobQueue } from 'trefoil'

const report = defineJob('report', t.Object({ projectId: t.Integer(), to: t.String() }), async (payload, job) => {
  const id: number = payload.projectId
  // @ts-expect-error not in the schema
  void payload.missing
  const retries: number = job.retryCount
  return { id, retries }
})

export async function sending(queue: JobQueue): Promise<void> {
  const id: string | null = await queue.send(report, { projectId: 1, to: 'a@example.org' })
  void id
  // @ts-expect-error projectId must be a number
  await queue.send(report, { projectId: '1', to: 'a@example.org' })
  // @ts-expect-error `to` is required
  await queue.send(report, { projectId: 1 })
}

export default defineUnit('typed', (r) => {
  r.post('/', { use: { jobs, background } }, async ({ jobs, background }) => {
    await jobs.send(report, { projectId: 2, to: 'b@example.org' })
    background((n: number, s: string) => void [n, s], 1, 'x')
    // @ts-expect-error the arguments must match the function's parameters
    background((n: number) => void n, 'one')
    const id: string = await background.track('typed', (progress, task) => {
      progress(50)
      return task.id
    })
    return { id }
  })
})
