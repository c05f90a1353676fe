import { processIo } from './context';
import { runCli } from './program';

// `npm run stack -- up|down|status` (scripts/worker-local.sh): the operator CLI's `stack` commands, kept as an entry of
// its own for the scripts. Exit codes are the CLI's: `status` exits 69 when a service is down, a usage error 2.
runCli(['stack', ...process.argv.slice(2)], processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
