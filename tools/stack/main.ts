import { processIo } from '../../src/cli/context';
import { runCli } from '../../src/cli/program';
import { registerStack } from './stack.command';

// `npm run stack -- up|down|status` (scripts/worker-local.sh): development tooling, not part of the product or its image.
// It borrows the operator CLI's program for output and exit codes: `status` exits 69 when a service is down, a usage error 2.
runCli(['stack', ...process.argv.slice(2)], processIo(), [registerStack]).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
