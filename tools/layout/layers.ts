/** One row of the layout: folders (ending in `/`) and files, repository-relative, and what they are for. */
export interface Layer {
  readonly paths: readonly string[];
  /** One line of Markdown: the table's "its job" column. */
  readonly job: string;
  /** The "imports" column for folders the import graph does not read (tests, benchmarks); otherwise generated. */
  readonly imports?: string;
}

/**
 * The layout, bottom-up: a file may import its own layer and those listed before it, never one after
 * (test/unit/architecture/layout.test.ts). docs/architecture.md's "Layout" table is generated from this list and the
 * import graph: `npm run docs:layout`.
 */
export const LAYERS: readonly Layer[] = [
  {
    paths: ['src/domain/'],
    job: 'the pure state machine: `decide(state, command, policy, now)` → new state, effects, audit record; deletion-side rules; durations. No I/O, no clock, no environment (a lint rule keeps it so).',
  },
  {
    paths: [
      'src/errors.ts',
      'src/retry-policies.ts',
      'src/control-characters.ts',
      'src/failpoints.ts',
      'src/network-errors.ts',
      'src/redis-errors.ts',
    ],
    job: 'typed errors and their codes; every retry policy (`retry-policies.ts`); escaping for every human-facing output; named crash points for the fault suite; which socket errors mean the peer is away, and what a Redis failure means (the queue, the leases and the pending-effects marks all use Redis).',
  },
  {
    paths: ['src/contract/'],
    job: 'the event contract: envelope and lifecycle schemas, Kafka header names (`headers.ts`), what a dead-letter correction may change (`replay-correction.ts`).',
  },
  {
    paths: ['src/proof/'],
    job: 'proof of deletion: the signing keys and their JSON Web Key Set, signing and offline verification of deletion certificates, hashes of canonical forms, the audit hash chain ([deletion-proof.md](deletion-proof.md)).',
  },
  {
    paths: ['src/config/'],
    job: 'settings from the environment, validated with zod at start-up (Kafka security combinations in `kafka-security-settings.ts`).',
  },
  {
    paths: ['src/logging/'],
    job: "structured logs with credentials redacted, each line with the active span's trace and span ids.",
  },
  {
    paths: ['src/tracing/'],
    job: 'OpenTelemetry: the tracer (OTLP only when configured), strict W3C `traceparent` parsing, the slice and message spans, timer-run spans linked to their scheduler (docs/operations.md, "Tracing").',
  },
  {
    paths: ['consumers/'],
    job: 'one file per event source: its topic, zod schemas, event → domain instruction; the routing table.',
  },
  {
    paths: ['src/kafka/'],
    job: "the one **partition runner** (`partition-runner.ts`: slicing, offsets, backoff with the client's pause/resume, poison isolation, dead letters, undecodable batches, consumer health) for the inbound topics and the dead-letter indexer; the dead-letter sink; the lifecycle publisher; lag; client construction (TLS/SASL, every codec with bounded decompression, compressed producers).",
  },
  {
    paths: ['src/leases/'],
    job: 'who may touch a subscription: the per-process keyed lock and the Redis leases between processes.',
  },
  {
    paths: ['src/storage/'],
    job: "MongoDB repositories: subscriptions, audit, dead letters; index creation; stable ids; the store's dialect (`store-dialect.ts`: what differs between MongoDB and FerretDB, [below](#the-stores-dialect)).",
  },
  {
    paths: ['src/metrics/'],
    job: "Prometheus metrics, the lag history behind the console's trend.",
  },
  {
    paths: ['src/queue/'],
    job: 'BullMQ: every timer job option in `timer-jobs.ts`, the queue, the timer worker (it runs processors it is given, and knows none of them).',
  },
  {
    paths: ['src/commit/'],
    job: 'the one **commit path** (`commit-path.ts`) every writer uses, and the pending-effects marks in Redis (`pending-effects.ts`).',
  },
  {
    paths: ['src/use-cases/'],
    job: 'what the worker and operators do: decode and process a slice (`process-messages.ts`, returns refusals, never produces), `applyCommands` (lock, load, fold, commit), index dead letters, operator commands, timeline, upcoming deletions, forecast, reconciliation, dead-letter replay.',
  },
  {
    paths: ['jobs/'],
    job: 'one processor per timer job (the deletion timer with its reminders, the reconciler) and a registry that refuses a job name with no processor or two.',
  },
  {
    paths: ['src/http/', 'src/docs/'],
    job: 'the HTTP API (each route declared once with `defineRoute`, listed in `api-routes.ts`, its OpenAPI document generated from those declarations), ops console and metrics route; the generators of docs/configuration.md, docs/errors.md and the AsyncAPI and OpenAPI documents.',
  },
  {
    paths: [
      'src/app.ts',
      'src/build-inbound.ts',
      'src/build-timers.ts',
      'src/build-http.ts',
      'src/run-worker.ts',
      'src/main.ts',
      'src/teardown.ts',
      'src/cli/',
    ],
    job: 'the composition roots. `src/app.ts` builds every service once (the inbound runners, the timers and the HTTP server through `build-inbound.ts`, `build-timers.ts`, `build-http.ts`), registers the jobs with the timer worker, tears everything down. Each service is registered with one `Teardown` (`src/teardown.ts`) as it opens: closing runs every step newest first even when one fails, is idempotent, and a start-up that fails half-way closes what had opened. The operator CLI (`bin/billing-enforcer`, `src/cli/`) builds what it writes with the same functions (`openStores` in `src/storage/stores.ts`, `buildWriter` in `src/commit/writer.ts`: commit path, leases, lock table), and its `worker` command runs the worker as `src/main.ts` does.',
  },
  {
    paths: ['tools/'],
    job: 'development tooling, outside the product and its image: the local stack (`tools/stack/`: Kafka, FerretDB with our patches, Redis; `npm run stack`) and the layout check (`tools/layout/`, this order in `layers.ts`).',
  },
  {
    paths: ['test/unit/', 'test/integration/', 'test/reliability/'],
    job: 'no services; the real stack shared by all files; faults against a stack of its own.',
    imports: 'anything above (not read)',
  },
  {
    paths: ['bench/'],
    job: '`npm run bench` (worker, naive baseline, write floor) and `bench/timers/`.',
    imports: 'anything above (not read)',
  },
];

/** A path as `unitOf` names units: `src/kafka/` → `src/kafka`, `src/errors.ts` → `src/errors`. */
function unitPrefix(layerPath: string): string {
  return layerPath.replace(/\/$/, '').replace(/\.ts$/, '');
}

/** The index in `layers` of the layer a unit belongs to (`tools` holds `tools/stack`), or undefined if none. */
export function layerOf(unit: string, layers: readonly Layer[] = LAYERS): number | undefined {
  const index = layers.findIndex(({ paths }) => paths.some((p) => unit === unitPrefix(p) || unit.startsWith(`${unitPrefix(p)}/`)));
  return index === -1 ? undefined : index;
}

/** How a layer is named in a failure message: its paths. */
export function layerName(index: number, layers: readonly Layer[] = LAYERS): string {
  return `layer ${index + 1} (${layers[index]?.paths.join(', ') ?? '?'})`;
}
