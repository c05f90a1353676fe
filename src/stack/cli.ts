import { StackError } from './processes';
import { localStack, stackDown, stackStatus, stackUp } from './stack';

const usage = 'usage: stack up|down|status';

async function main(command = ''): Promise<number> {
  const stack = localStack();
  const print = (line: string): void => {
    console.log(line);
  };
  switch (command) {
    case 'up':
      await stackUp(stack, print);
      for (const [key, value] of Object.entries(stack.connection)) print(`${key}=${value}`);
      print(`(written to ${stack.layout.envFile})`);
      return 0;
    case 'down':
      await stackDown(stack, print);
      return 0;
    case 'status': {
      const statuses = await stackStatus(stack);
      for (const s of statuses) {
        print(`${s.name.padEnd(9)} ${s.answering ? 'up  ' : 'down'} 127.0.0.1:${s.port}${s.pid === undefined ? '' : ` pid ${s.pid}`}`);
      }
      return statuses.every((s) => s.answering) ? 0 : 3;
    }
    default:
      console.error(usage);
      return 64;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof StackError ? `stack: ${error.message}` : error);
    process.exit(1);
  },
);
