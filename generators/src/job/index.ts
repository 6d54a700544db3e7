// `yo trefoil:job <name>`: a durable job (pg-boss on the service's PostgreSQL, retried when it fails) and its test, listed in src/jobs.ts (made, and listed in main.ts, with the first job). Run again, it changes nothing.
import { kindGenerator } from '../lib/kind-generator.js'

/** `yo trefoil:job <name>`. */
const JobGenerator = kindGenerator('job')
export default JobGenerator
