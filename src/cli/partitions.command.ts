import { Argument, Command as CommandClass, type Command } from 'commander';

import { consumers } from '../../consumers/routes';
import { KAFKA_SECURITY_SETTINGS } from '../config/kafka-security-settings';
import { isAppError } from '../errors';
import type { ConsumerProblem } from '../kafka/consumer-health';
import type { PartitionLag } from '../kafka/offsets';
import { PartitionSkipRepository } from '../storage/partition-skip.repository';
import {
  approvePartitionSkip,
  SKIP_NOTE,
  skipRequestSchema,
  skipView,
  type SkipRequest,
  type SkipView,
} from '../use-cases/partition-skips';
import type { ApiClient } from './api-client';
import { operatorText, wholeNumber } from './arguments';
import type { Cli, CommandContext } from './context';
import { CliError } from './exit-codes';
import { table } from './output';

interface StatusOptions {
  readonly limit: number;
}

interface SkipOptions {
  readonly from: string;
  readonly to: string;
  readonly reason: string;
  readonly actor: string;
}

/** The inbound topics' settings, from the routing table: the topics a skip may name and whose lag `status` reads. */
const TOPIC_SETTINGS = consumers.map((consumer) => consumer.topic);

export const PROBLEMS_ONLY_IN_WORKER =
  'consumer problems are known only to a running worker, each replica its own: ask one with --api <url> (or read its /readyz)';

/** What `partitions status` prints under --json: problems from a worker (API), or partitions' offsets from Kafka (direct). */
export type StatusDocument =
  | { readonly source: 'api'; readonly problems: readonly ConsumerProblem[]; readonly skips: readonly SkipView[] }
  | {
      readonly source: 'stores';
      readonly problems: null;
      readonly problemsNote: string;
      readonly partitions: readonly PartitionLag[];
      readonly skips: readonly SkipView[];
    };

/** A held batch on the partition a skip names, as the replica that answered reports it, and whether the range covers it. */
interface HeldBatch {
  readonly consumer: string;
  readonly cause: string;
  readonly offset: string;
  readonly lastOffset: string;
  readonly covered: boolean;
}

export interface SkipDocument {
  readonly approval: SkipView;
  readonly note: string;
  /** null when nobody could say (direct mode): problems live in the workers. */
  readonly held: readonly HeldBatch[] | null;
}

const place = (topic: string | null, partition: number | null): string =>
  topic === null ? '(whole consumer)' : `${topic}[${partition ?? '?'}]`;

const range = (first: string | null, last: string | null): string =>
  first === null ? '-' : last === null || last === first ? first : `${first}-${last}`;

/** `45 s`, `3 min`, `2 h 5 min`, `1 d 3 h`: how long a problem has lasted. */
export function elapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1_000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

const UNDECODABLE = new Set(['unsupported-codec', 'corrupt']);

function problemLines(problems: readonly ConsumerProblem[]): string[] {
  if (problems.length === 0) return ['no consumer problems on the replica that answered'];
  const held = problems.filter((problem) => UNDECODABLE.has(problem.cause) && problem.topic !== null && problem.offset !== null);
  return [
    'consumer problems on the replica that answered (another replica reports its own partitions):',
    ...table(
      ['CONSUMER', 'CAUSE', 'PARTITION', 'OFFSETS', 'FOR', 'DETAIL'],
      problems.map((problem) => [
        problem.consumer,
        problem.cause,
        place(problem.topic, problem.partition),
        range(problem.offset, problem.lastOffset),
        elapsed(problem.sinceMs),
        problem.detail,
      ]),
    ).map((line) => `  ${line}`),
    ...(held.length === 0
      ? []
      : [
          'a batch the worker cannot decode holds its partition until it is skipped (it is dead-lettered first), or until a build that reads it runs:',
          ...held.map(
            (problem) =>
              `  billing-enforcer partitions skip ${problem.topic ?? ''} ${problem.partition ?? ''} --from ${problem.offset ?? ''} --to ${problem.lastOffset ?? problem.offset ?? ''} --reason <why> --actor <you>`,
          ),
        ]),
  ];
}

function skipLines(skips: readonly SkipView[]): string[] {
  if (skips.length === 0) return ['no skip approvals'];
  return [
    `skip approvals (newest first, ${skips.length}):`,
    ...table(
      ['REQUESTED', 'PARTITION', 'OFFSETS', 'ACTOR', 'REASON', 'LET THROUGH'],
      skips.map((skip) => [
        skip.requestedAt,
        place(skip.topic, skip.partition),
        `${skip.fromOffset}-${skip.toOffset}`,
        skip.actor,
        skip.reason,
        skip.skipped.length === 0
          ? 'nothing yet'
          : skip.skipped.map((batch) => `${range(batch.firstOffset, batch.lastOffset)} at ${batch.at}`).join(', '),
      ]),
    ).map((line) => `  ${line}`),
  ];
}

function partitionLines(partitions: readonly PartitionLag[], groupId: string): string[] {
  const sorted = [...partitions].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return [
    `inbound partitions of group ${groupId}, from Kafka (committed: where the group resumes; lag: messages not committed past):`,
    ...table(
      ['TOPIC', 'PARTITION', 'COMMITTED', 'LAG'],
      sorted.map((row) => [row.topic, String(row.partition), String(row.committed), String(row.lag)]),
    ).map((line) => `  ${line}`),
  ];
}

/** The text `partitions status` prints; every line is escaped by Output on the way out. */
export function statusLines(document: StatusDocument, groupId?: string): string[] {
  const head =
    document.source === 'api'
      ? problemLines(document.problems)
      : [document.problemsNote, ...partitionLines(document.partitions, groupId ?? '?')];
  return [...head, '', ...skipLines(document.skips)];
}

/** `GET /v1/partitions`: the answering replica's problems, and the approvals (shared by every replica). */
async function fromApi(api: ApiClient, limit: number): Promise<{ problems: ConsumerProblem[]; skips: SkipView[] }> {
  return await api.get<{ problems: ConsumerProblem[]; skips: SkipView[] }>('/v1/partitions', { limit });
}

/** Kafka's own words are kept; an absent broker is named, as the other commands name theirs. */
function kafkaUnavailable(brokers: readonly string[]): (error: unknown) => never {
  return (error) => {
    if (isAppError(error) && error.code === 'DEPENDENCY_UNAVAILABLE')
      throw new CliError('unavailable', `Kafka at ${brokers.join(',')} did not answer: ${error.message}`, { cause: error });
    throw error;
  };
}

async function status(context: CommandContext, options: StatusOptions): Promise<number> {
  const api = context.api();
  if (api !== null) {
    const document: StatusDocument = { source: 'api', ...(await fromApi(api, options.limit)) };
    context.output.result(document, () => statusLines(document));
    return 0;
  }
  const settings = context.settings([
    'MONGODB_URI',
    'KAFKA_BROKERS',
    'KAFKA_CLIENT_ID',
    'KAFKA_GROUP_ID',
    ...KAFKA_SECURITY_SETTINGS,
    ...TOPIC_SETTINGS,
  ]);
  const skips = new PartitionSkipRepository(await context.services.mongo(settings.MONGODB_URI), context.io.clock);
  const offsets = context.services.offsets(settings);
  const topics = TOPIC_SETTINGS.map((key) => settings[key]);
  const [approvals, partitions] = await Promise.all([
    skips.list(options.limit),
    offsets.consumerLag(settings.KAFKA_GROUP_ID, topics).catch(kafkaUnavailable(settings.KAFKA_BROKERS)),
  ]);
  const document: StatusDocument = {
    source: 'stores',
    problems: null,
    problemsNote: PROBLEMS_ONLY_IN_WORKER,
    partitions,
    skips: approvals.map(skipView),
  };
  context.output.result(document, () => statusLines(document, settings.KAFKA_GROUP_ID));
  return 0;
}

const OPTION_OF: Readonly<Record<string, string>> = {
  topic: 'TOPIC',
  partition: 'PARTITION',
  fromOffset: '--from',
  toOffset: '--to',
  actor: '--actor',
  reason: '--reason',
};

/** The request as the API checks it, checked here first so both modes refuse the same things the same way (exit 2). */
export function skipRequest(topic: string, partition: number, options: SkipOptions): SkipRequest {
  const parsed = skipRequestSchema.safeParse({
    topic,
    partition,
    fromOffset: options.from,
    toOffset: options.to,
    actor: options.actor,
    reason: options.reason,
  });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = OPTION_OF[String(issue.path[0])] ?? String(issue.path[0]);
    return `${name}: ${issue.message.replace('fromOffset', '--from')}`;
  });
  throw new CliError('usage', `partitions skip: ${problems.join('; ')}`);
}

function heldBatches(problems: readonly ConsumerProblem[], request: SkipRequest): HeldBatch[] {
  return problems.flatMap((problem) => {
    if (problem.topic !== request.topic || problem.partition !== request.partition || problem.offset === null) return [];
    if (!UNDECODABLE.has(problem.cause)) return [];
    const lastOffset = problem.lastOffset ?? problem.offset;
    const covered = BigInt(request.fromOffset) <= BigInt(problem.offset) && BigInt(lastOffset) <= BigInt(request.toOffset);
    return [{ consumer: problem.consumer, cause: problem.cause, offset: problem.offset, lastOffset, covered }];
  });
}

export function skipLinesOf(document: SkipDocument): string[] {
  const { approval, held } = document;
  const where = place(approval.topic, approval.partition);
  const span = `${approval.fromOffset}-${approval.toOffset}`;
  return [
    `approved: skip on ${where}, offsets ${span}, by ${approval.actor}: ${approval.reason} (approval ${approval.id})`,
    'what happens now:',
    `  the replica that owns ${where} moves past a record batch it cannot decode once it meets one lying wholly within ${span}:`,
    '  it writes the batch to the dead-letter topic first (code BATCH_SKIPPED, with the approver and reason in its headers),',
    '  then commits past it and goes on. Readable records in the range are still read and applied; nothing else changes.',
    ...(held === null
      ? [`  whether a batch is held there now is known only to the workers: check with --api <url> partitions status`]
      : held.length === 0
        ? [`  the replica that answered holds no batch on ${where} (another replica may own it)`]
        : held.map((batch) =>
            batch.covered
              ? `  the replica that answered holds ${where} at ${range(batch.offset, batch.lastOffset)} (${batch.cause}): this approval covers it`
              : `  the replica that answered holds ${where} at ${range(batch.offset, batch.lastOffset)} (${batch.cause}): NOT within ${span}, it stays held; approve a range that holds the whole batch`,
          )),
    'follow it with: billing-enforcer partitions status (each approval lists the batches it let through)',
  ];
}

async function skip(context: CommandContext, topic: string, partition: number, options: SkipOptions): Promise<number> {
  const request = skipRequest(topic, partition, options);
  const api = context.api();
  let document: SkipDocument;
  if (api !== null) {
    const answer = await api.post<SkipView & { note: string }>('/v1/partitions/skips', request);
    const { note, ...approval } = answer;
    const { problems } = await fromApi(api, 1);
    document = { approval, note, held: heldBatches(problems, request) };
  } else {
    const settings = context.settings(['MONGODB_URI', ...TOPIC_SETTINGS]);
    const store = new PartitionSkipRepository(await context.services.mongo(settings.MONGODB_URI), context.io.clock);
    const stored = await approvePartitionSkip(
      store,
      request,
      TOPIC_SETTINGS.map((key) => settings[key]),
    );
    document = { approval: skipView(stored), note: SKIP_NOTE, held: null };
  }
  context.output.result(document, () => skipLinesOf(document));
  return 0;
}

/** `partitions status|skip`: why consumers make no progress, and the operator's way past a batch the worker cannot decode. */
export function registerPartitions(program: Command, cli: Cli): void {
  const group = new CommandClass('partitions').description(
    "inbound partitions: consumers' problems, and skipping a record batch the worker cannot decode",
  );
  group
    .command('status')
    .description(
      "this worker's consumer problems (with --api) or each inbound partition's committed offset and lag (direct), and the skip approvals with what each let through",
    )
    .option('--limit <n>', 'show at most this many skip approvals, newest first', wholeNumber(1, 500), 20)
    .action(async (options: StatusOptions, command: Command) => {
      await cli.run(command, (context) => status(context, options), { api: true });
    });
  group
    .command('skip')
    .description('approve moving a partition past the record batches it cannot decode within an offset range (each is dead-lettered first)')
    .argument('<topic>', 'an inbound topic')
    .addArgument(new Argument('<partition>', 'the partition').argParser(wholeNumber(0, 1_000_000)))
    .requiredOption('--from <offset>', 'first offset of the range (inclusive; the OFFSETS that `partitions status` shows)')
    .requiredOption('--to <offset>', 'last offset of the range (inclusive)')
    .requiredOption('--reason <text>', 'why (kept with the approval and on the dead letter)', operatorText)
    .requiredOption('--actor <name>', 'who approves (kept with the approval and on the dead letter)', operatorText)
    .action(async (topic: string, partition: number, options: SkipOptions, command: Command) => {
      await cli.run(command, (context) => skip(context, topic, partition, options), { api: true });
    });
  program.addCommand(group);
}
