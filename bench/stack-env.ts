import fs from 'node:fs';
import path from 'node:path';

import { repoRoot } from './child';
import type { Stack } from './variant';

/** The stack to measure on: the environment's settings, else the local stack's `.stack/env`. */
export function loadStack(): Stack {
  const file = path.join(repoRoot, '.stack', 'env');
  const fromFile = fs.existsSync(file)
    ? Object.fromEntries(
        fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .map((line) => /^([A-Z_]+)=(.*)$/.exec(line.trim()))
          .flatMap((match) => (match?.[1] === undefined ? [] : [[match[1], match[2] ?? '']])),
      )
    : {};
  const pick = (name: keyof Stack): string => {
    const value = process.env[name] ?? (fromFile as Record<string, string | undefined>)[name];
    if (value === undefined) throw new Error(`${name} is not set and .stack/env has none: run \`npm run stack -- up\` first`);
    return value;
  };
  return { KAFKA_BROKERS: pick('KAFKA_BROKERS'), MONGODB_URI: pick('MONGODB_URI'), REDIS_URL: pick('REDIS_URL') };
}
