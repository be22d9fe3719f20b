/** A simulator in its own process for benchmarks: options as JSON in argv[2], prints its URL. */
import { startSimulator } from '../../../sim/index.ts';

const sim = await startSimulator(JSON.parse(process.argv[2] ?? '{}'));
console.log(`SIM_URL ${sim.url}`);
const stop = () => void sim.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
