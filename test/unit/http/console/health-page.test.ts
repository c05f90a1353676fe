import { healthPage, type HealthView } from '../../../../src/http/console/health-page';
import type { ConsoleContext } from '../../../../src/http/console/layout';
import type { ConsumerProblem } from '../../../../src/kafka/consumer-health';
import type { PartitionSkip } from '../../../../src/storage/partition-skip.repository';

const NOW = Date.parse('2026-11-24T05:10:00Z');
const context: ConsoleContext = { session: null, csrf: 'csrf', boardPath: '/admin/queues', nonce: 'nonce' };

function view(overrides: Partial<HealthView> = {}): HealthView {
  return {
    now: NOW,
    lag: [],
    lagSamples: [],
    outboxBacklog: 0,
    pendingDeadLetters: 0,
    identityMismatches: { pending: 0, total: 0 },
    reconcile: null,
    failedTimers: 0,
    problems: [],
    skips: [],
    boardPath: '/admin/queues',
    timerQueue: 'timers',
    ...overrides,
  };
}

/** The section of the page with this id, from its opening tag to its end. */
function section(page: string, id: string): string {
  const start = page.indexOf(`<section class="card" id="${id}">`);
  expect(start).toBeGreaterThanOrEqual(0);
  return page.slice(start, page.indexOf('</section>', start));
}

const held: ConsumerProblem = {
  consumer: 'inbound',
  cause: 'unsupported-codec',
  topic: 'billing.payments.v1',
  partition: 3,
  offset: '120',
  lastOffset: '124',
  sinceMs: 5 * 60_000,
  // What a client might say about a batch: markup and a terminal escape must come out as text.
  detail: 'unsupported-codec: lz4 record batch at offsets 120-124: <img src=x onerror=alert(1)> \u001b[2J \u202eexe',
};

const skip: PartitionSkip = {
  _id: 'skip-1',
  topic: 'billing.payments.v1',
  partition: 3,
  fromOffset: '120',
  toOffset: '130',
  actor: '<b>mallory</b>',
  reason: 'INC-7 "lz4" & more',
  requestedAt: NOW - 60_000,
  skipped: [{ firstOffset: '120', lastOffset: '124', at: NOW - 30_000 }],
};

describe('the health page: consumers and skip approvals', () => {
  it('shows each problem with its cause, partition, offsets, since and detail, escaped, and how to move past a held batch', () => {
    const crash: ConsumerProblem = {
      ...held,
      consumer: 'dlq-index',
      cause: 'crash-loop',
      topic: null,
      partition: null,
      offset: null,
      lastOffset: null,
      detail: 'KafkaJSNonRetriableError: session timeout',
    };
    const page = healthPage(view({ problems: [held, crash] }), context).text;
    const card = section(page, 'consumer-problems');
    expect(card).toContain('<tr data-consumer="inbound" data-cause="unsupported-codec">');
    expect(card).toContain('<code>billing.payments.v1[3]</code>');
    expect(card).toContain('120–124');
    expect(card).toContain('2026-11-24 05:05:00 UTC');
    expect(card).toContain('5 min ago');
    expect(card).toContain('&lt;img src=x onerror=alert(1)&gt; \\u001b[2J \\u202eexe');
    expect(card).not.toContain('<img');
    expect(card).toContain('<tr data-consumer="dlq-index" data-cause="crash-loop">');
    expect(card).toContain('whole consumer');
    expect(card).toContain('billing-enforcer partitions skip TOPIC PARTITION --from FIRST --to LAST');
  });

  it('lists the latest skip approvals with what each let through, escaped', () => {
    const page = healthPage(view({ skips: [skip, { ...skip, _id: 'skip-2', skipped: [] }] }), context).text;
    const card = section(page, 'partition-skips');
    expect(card).toContain('<tr data-skip="skip-1">');
    expect(card).toContain('&lt;b&gt;mallory&lt;/b&gt;');
    expect(card).toContain('INC-7 &quot;lz4&quot; &amp; more');
    expect(card).toContain('120–130');
    expect(card).toContain('120–124 at 2026-11-24 05:09:30 UTC');
    expect(card).toContain('nothing yet');
  });

  it('says when all is well, and when a reading is not available', () => {
    const quiet = healthPage(view(), context).text;
    expect(section(quiet, 'consumer-problems')).toContain('Every consumer of this replica is making progress.');
    expect(section(quiet, 'consumer-problems')).not.toContain('partitions skip');
    expect(section(quiet, 'partition-skips')).toContain('No skip approvals.');
    const away = healthPage(view({ problems: null, skips: null }), context).text;
    expect(section(away, 'consumer-problems')).toContain('unavailable');
    expect(section(away, 'partition-skips')).toContain('unavailable');
  });
});
