import path from 'node:path';

/** Where the local stack keeps binaries, data, logs and pid files: all under the git-ignored `.stack/`. */
export interface StackLayout {
  readonly repoRoot: string;
  readonly root: string;
  readonly logs: string;
  readonly envFile: string;
}

export interface StackPorts {
  readonly kafka: number;
  readonly kafkaController: number;
  readonly mongo: number;
  readonly redis: number;
}

const repoRoot = path.resolve(__dirname, '..', '..');

export function stackLayout(root = process.env.STACK_DIR ?? path.join(repoRoot, '.stack')): StackLayout {
  return { repoRoot, root, logs: path.join(root, 'logs'), envFile: path.join(root, 'env') };
}

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name} must be a TCP port (1-65535), got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Uncommon defaults so the stack does not collide with a Redis, PostgreSQL or Kafka the machine already runs. */
const DEFAULT_PORTS: StackPorts = { kafka: 39092, kafkaController: 39093, mongo: 37017, redis: 36379 };

/**
 * The ports from `<prefix>_KAFKA_PORT`, `<prefix>_KAFKA_CONTROLLER_PORT`, `<prefix>_MONGO_PORT` and `<prefix>_REDIS_PORT`,
 * each falling back to its default: `STACK` for the local stack, `RELIABILITY` for the fault-injection suite's own.
 */
export function stackPorts(prefix = 'STACK', defaults: StackPorts = DEFAULT_PORTS): StackPorts {
  return {
    kafka: port(`${prefix}_KAFKA_PORT`, defaults.kafka),
    kafkaController: port(`${prefix}_KAFKA_CONTROLLER_PORT`, defaults.kafkaController),
    mongo: port(`${prefix}_MONGO_PORT`, defaults.mongo),
    redis: port(`${prefix}_REDIS_PORT`, defaults.redis),
  };
}

export interface StackConnection {
  readonly KAFKA_BROKERS: string;
  readonly MONGODB_URI: string;
  readonly REDIS_URL: string;
}

export function connectionFor(ports: StackPorts): StackConnection {
  return {
    KAFKA_BROKERS: `127.0.0.1:${ports.kafka}`,
    MONGODB_URI: `mongodb://127.0.0.1:${ports.mongo}/billing-enforcer`,
    REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
  };
}
