import fs from 'node:fs';
import path from 'node:path';

import { parse } from 'yaml';

/** One stage of the Dockerfile, as far as replaying it natively needs: what it copies, runs and sets. */
export interface Stage {
  readonly name: string | undefined;
  readonly copies: readonly { from: string | undefined; sources: string[]; target: string }[];
  readonly runs: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cmd: readonly string[];
}

/** Reads the Dockerfile's stages: FROM, COPY [--from], RUN (shell form), ENV k=v, CMD (exec form). Refuses anything else it meets. */
export function dockerfileStages(file: string): Stage[] {
  const stages: {
    name: string | undefined;
    copies: Stage['copies'][number][];
    runs: string[];
    env: Record<string, string>;
    cmd: string[];
  }[] = [];
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [instruction = '', ...rest] = line.split(/\s+/);
    const current = stages.at(-1);
    switch (instruction.toUpperCase()) {
      case 'FROM':
        stages.push({ name: rest[2], copies: [], runs: [], env: {}, cmd: [] });
        break;
      case 'COPY': {
        const from = rest[0]?.startsWith('--from=') ? rest.shift()?.slice('--from='.length) : undefined;
        const target = rest.pop() ?? '';
        current?.copies.push({ from, sources: rest, target });
        break;
      }
      case 'RUN':
        current?.runs.push(rest.join(' '));
        break;
      case 'ENV':
        for (const pair of rest) {
          const [key = '', value = ''] = pair.split('=');
          if (current !== undefined) current.env[key] = value;
        }
        break;
      case 'CMD':
        current?.cmd.push(...(JSON.parse(rest.join(' ')) as string[]));
        break;
      case 'WORKDIR':
      case 'USER':
      case 'EXPOSE':
        break;
      default:
        throw new Error(`the native replay does not know Dockerfile instruction ${instruction}`);
    }
  }
  return stages;
}

/** Copies `source` (a file or directory) to `target` as COPY does: a directory's contents; a file into a `dir/` target. */
export function copyLikeDocker(source: string, target: string): void {
  if (fs.statSync(source).isDirectory()) fs.cpSync(source, target, { recursive: true });
  else fs.cpSync(source, target.endsWith('/') ? path.join(target, path.basename(source)) : target);
}

interface ComposeService {
  readonly environment?: Record<string, string> | string[];
  readonly restart?: string;
  readonly stop_grace_period?: string;
}

/** The compose file's services, with `${NAME:-default}` and `${NAME}` interpolated from `env` as compose does. */
export function composeServices(file: string, env: Record<string, string | undefined> = {}): Record<string, ComposeService> {
  const text = fs.readFileSync(file, 'utf8').replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_match, name: string, fallback?: string) => {
    const value = env[name];
    return value !== undefined && value !== '' ? value : (fallback ?? '');
  });
  const document = parse(text) as { services: Record<string, ComposeService> };
  return document.services;
}

/** A service's environment as a map (compose accepts a map or a list of KEY=VALUE). */
export function environmentOf(service: ComposeService): Record<string, string> {
  const environment = service.environment ?? {};
  if (!Array.isArray(environment)) return { ...environment };
  return Object.fromEntries(environment.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}
