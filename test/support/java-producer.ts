import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { stackLayout } from '../../tools/stack/layout';
import { stackConnection } from './stack-env';

/** Bytes as a plan carries them: text (sent as UTF-8), raw bytes, or null (no bytes at all, not empty ones). */
export type Bytes = string | Buffer | null;

export interface JavaRecord {
  readonly topic: string;
  /** Absent: the Java client's own partitioner picks (murmur2 of the key; a null key goes to a sticky partition). */
  readonly partition?: number;
  readonly key: Bytes;
  readonly value: Bytes;
  /** Sent in this order; a name may repeat. */
  readonly headers?: readonly (readonly [name: string, value: Bytes])[];
}

export interface JavaBatch {
  readonly records: readonly JavaRecord[];
  /** Sent in a transaction of their own that ends so (needs `transactional.id`); absent: outside any transaction. */
  readonly transaction?: 'commit' | 'abort';
}

export interface JavaPlan {
  /** Producer settings by their Java names (`compression.type`, `enable.idempotence`, `transactional.id`, …). */
  readonly settings?: Readonly<Record<string, string>>;
  readonly batches: readonly JavaBatch[];
}

/** Where the broker put a record: aborted records too, since an abort flushes them to the log first. */
export interface SentRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

const source = path.join(__dirname, 'java', 'SendEvents.java');
const execFileAsync = promisify(execFile);
const RUN_TIMEOUT_MS = 120_000;

/**
 * The Kafka jars the local stack runs on (tools/stack/kafka.service.ts provisions them into `<STACK_DIR>/kafka/libs`,
 * `.stack/kafka/libs` by default), so the producer is Apache Kafka's own client at the broker's version.
 */
export function kafkaLibs(): string {
  const libs = path.join(stackLayout().root, 'kafka', 'libs');
  const client = fs.existsSync(libs) ? fs.readdirSync(libs).find((name) => /^kafka-clients-.*\.jar$/.test(name)) : undefined;
  if (client === undefined) {
    throw new Error(
      `no kafka-clients jar in ${libs}: the Java producer tests run on the local stack's Kafka jars. ` +
        'Provision them with `npm run stack -- up` (Maven resolves them), or set STACK_DIR to a stack directory that has them.',
    );
  }
  return libs;
}

let compiled: Promise<string> | undefined;

/**
 * Compiles SendEvents.java once per run, into a directory under the system's temp folder named by the hash of the
 * source and of the jar list, so later runs reuse it; several jest workers compiling at once each rename their own
 * output into place and the first one wins.
 */
export function compileSendEvents(libs = kafkaLibs()): Promise<string> {
  compiled ??= (async () => {
    const hash = createHash('sha256')
      .update(fs.readFileSync(source))
      .update(fs.readdirSync(libs).sort().join('\n'))
      .digest('hex')
      .slice(0, 16);
    const classes = path.join(os.tmpdir(), 'billing-enforcer-send-events', hash);
    if (fs.existsSync(path.join(classes, 'SendEvents.class'))) return classes;
    fs.mkdirSync(path.dirname(classes), { recursive: true });
    const building = fs.mkdtempSync(`${classes}.building-`);
    try {
      // --release 17: the classes run on any Java the stack runs on, whichever JDK compiled them.
      await execFileAsync('javac', ['--release', '17', '-cp', `${libs}/*`, '-d', building, source]);
      fs.renameSync(building, classes);
    } catch (error) {
      fs.rmSync(building, { recursive: true, force: true });
      if (fs.existsSync(path.join(classes, 'SendEvents.class'))) return classes;
      throw new Error(`javac could not compile ${source} (javac from a JDK 17 or newer must be on PATH): ${describe(error)}`, {
        cause: error,
      });
    }
    return classes;
  })();
  compiled.catch(() => {
    compiled = undefined;
  });
  return compiled;
}

function describe(error: unknown): string {
  const { stderr, message } = error as { stderr?: string; message?: string };
  return (stderr ?? '').trim() || (message ?? String(error));
}

function field(bytes: Bytes): string {
  if (bytes === null) return 'null';
  if (typeof bytes === 'string' && !/[\t\r\n]/.test(bytes)) return `t:${bytes}`;
  return `b:${Buffer.from(bytes).toString('base64')}`;
}

function name(text: string): string {
  if (/[\t\r\n]/.test(text))
    throw new Error(`a topic or header name in a Java plan may not hold tabs or newlines: ${JSON.stringify(text)}`);
  return text;
}

/** The plan as SendEvents reads it (its format is described at the top of SendEvents.java). */
export function planText(plan: JavaPlan, bootstrapServers: string): string {
  const settings = { 'bootstrap.servers': bootstrapServers, ...plan.settings };
  const lines = Object.entries(settings).map(([key, value]) => ['set', name(key), name(value)].join('\t'));
  for (const batch of plan.batches) {
    if (batch.transaction !== undefined) lines.push('begin');
    for (const record of batch.records) {
      const headers = (record.headers ?? []).flatMap(([header, value]) => [name(header), field(value)]);
      lines.push(
        ['send', name(record.topic), String(record.partition ?? '-'), field(record.key), field(record.value), ...headers].join('\t'),
      );
    }
    lines.push(batch.transaction ?? 'flush');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Sends the plan with Apache Kafka's Java producer (one producer, one JVM) to the test stack's broker; resolves once
 * every record is acknowledged and the producer closed, with where each landed, in plan order. Rejects with the
 * program's own words when it fails.
 */
export async function sendWithJava(plan: JavaPlan): Promise<SentRecord[]> {
  const libs = kafkaLibs();
  const classes = await compileSendEvents(libs);
  const child = spawn('java', ['-cp', `${classes}${path.delimiter}${libs}/*`, 'SendEvents'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const exited = new Promise<number | string>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new Error(`could not run java (a JDK 17 or newer must be on PATH): ${error.message}`, { cause: error })),
    );
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  child.stdin.end(planText(plan, stackConnection().KAFKA_BROKERS));
  try {
    const status = await exited;
    if (status !== 0) {
      // The client logs its own errors on stdout (log4j's default configuration): show them with the program's line.
      const logged = stdout
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('sent\t'))
        .slice(-20);
      // Only this timer kills it.
      const why = child.killed ? `killed after ${RUN_TIMEOUT_MS / 1000} s` : `exited with ${status}`;
      throw new Error(`SendEvents ${why}: ${stderr.trim() || '(nothing on stderr)'}${['', ...logged].join('\n  ')}`);
    }
  } finally {
    clearTimeout(timer);
  }
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('sent\t'))
    .map((line) => {
      const [, topic = '', partition = '', offset = ''] = line.split('\t');
      return { topic, partition: Number(partition), offset };
    });
}
