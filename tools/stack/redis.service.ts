import fs from 'node:fs';
import path from 'node:path';

import { Redis } from 'ioredis';

import { onPath, runToLog, StackError } from './processes';
import type { ServiceDefinition } from './service';

/** Redis from Debian's package, with the durability settings BullMQ's production guide asks for. */
export const redisService: ServiceDefinition = {
  name: 'redis',
  marker: 'redis-server',
  port: (ports) => ports.redis,
  startTimeoutMs: 15_000,
  provision(layout) {
    fs.mkdirSync(path.join(layout.root, 'redis'), { recursive: true });
    if (onPath('redis-server')) return;
    if (process.getuid?.() !== 0 || !onPath('apt-get')) {
      throw new StackError('redis-server is not on PATH; install it with: sudo apt-get install -y redis-server');
    }
    const log = path.join(layout.logs, 'redis-install.log');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    runToLog('apt-get', ['update'], log, { env });
    runToLog('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], log, { env });
  },
  command: (layout, ports) => ({
    command: 'redis-server',
    args: [
      '--bind',
      '127.0.0.1',
      '--port',
      String(ports.redis),
      '--dir',
      path.join(layout.root, 'redis'),
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--maxmemory-policy',
      'noeviction',
      // Keeps a timer job's hash compact (listpack) when its opts, which repeat the job id, exceed the default 64 bytes.
      '--hash-max-listpack-value',
      '256',
      '--save',
      '',
      '--daemonize',
      'no',
    ],
  }),
  async probe(ports) {
    const client = new Redis({
      host: '127.0.0.1',
      port: ports.redis,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
    } finally {
      client.disconnect();
    }
  },
};
