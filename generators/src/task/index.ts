// `yo trefoil:task <name>`: a worker-pool task module (CPU-bound work off the event loop), its schemas, a route that runs it and its test; the pool (src/workers.ts) with the first task. Run again, it changes nothing.
import { kindGenerator } from '../lib/kind-generator.js'

/** `yo trefoil:task <name>`. */
const TaskGenerator = kindGenerator('task')
export default TaskGenerator
