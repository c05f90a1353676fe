import { processIo } from './context';
import { runCli } from './program';

// The operator CLI's entry point (bin/billing-enforcer, `npm run cli -- <args>`). It sets the exit code and lets the
// process end once every connection is closed; only `worker` ends it explicitly, after its shutdown.
runCli(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
