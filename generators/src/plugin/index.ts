// `yo trefoil:plugin <name>`: a plugin (a value made at start-up and closed at shutdown, a hook on every request, a dependency for routes) and its test, listed in main.ts before the units. Run again, it changes nothing.
import { kindGenerator } from '../lib/kind-generator.js'

/** `yo trefoil:plugin <name>`. */
const PluginGenerator = kindGenerator('plugin')
export default PluginGenerator
