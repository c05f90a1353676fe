import type { Millis } from '../../domain';
import type { ConsumerProblem } from '../../kafka/consumer-health';
import type { PartitionLag } from '../../kafka/offsets';
import type { PartitionSkip } from '../../storage/partition-skip.repository';
import { partitionSeries, type LagSample } from '../../metrics/lag-history';
import type { ReconcileStatus } from '../../use-cases/reconcile-status';
import { html, type Html } from '../html';
import { sparkline } from './chart';
import { iso, number, relative, unavailable } from './format';
import { type ConsoleContext, consolePage, dataTable } from './layout';
import { visible } from './text';

export const HEALTH_REFRESH_SECONDS = 30;
/** How many skip approvals the page lists. */
export const SKIPS_SHOWN = 10;

/** What the health page shows; a reading that failed is null and says so instead of failing the page. */
export interface HealthView {
  readonly now: Millis;
  readonly lag: readonly PartitionLag[] | null;
  readonly lagSamples: readonly LagSample[];
  readonly outboxBacklog: number | null;
  readonly pendingDeadLetters: number | null;
  readonly identityMismatches: { readonly pending: number; readonly total: number } | null;
  readonly reconcile: ReconcileStatus | null | undefined;
  readonly failedTimers: number | null;
  /** This replica's consumers' problems (each replica reports its own partitions); null: not available here. */
  readonly problems: readonly ConsumerProblem[] | null;
  /** The latest skip approvals, newest first; null: the reading failed. */
  readonly skips: readonly PartitionSkip[] | null;
  readonly boardPath: string;
  readonly timerQueue: string;
}

function tile(id: string, title: string, value: number | null, options: { bad?: boolean; note?: Html | string } = {}): Html {
  return html`<section class="card" id="${id}">
    <h2>${title}</h2>
    ${value === null ? unavailable : html`<div class="big ${options.bad === true ? 'bad' : 'ok'}">${number(value)}</div>`}
    ${options.note === undefined ? '' : html`<div class="sub">${options.note}</div>`}
  </section>`;
}

function lagCard(view: HealthView): Html {
  if (view.lag === null)
    return html`<section class="card" id="lag">
      <h2>Consumer lag</h2>
      ${unavailable}
    </section>`;
  const rows = [...view.lag]
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    .map((row) => {
      const series = partitionSeries(view.lagSamples, row.topic, row.partition);
      const first = series[0];
      const change = first === undefined ? null : row.lag - first.lag;
      return html`<tr data-topic="${row.topic}" data-partition="${row.partition}">
        <td><code>${visible(row.topic)}</code></td>
        <td>${row.partition}</td>
        <td class="${row.lag > 0 ? 'bad' : ''}" data-field="lag">${number(row.lag)}</td>
        <td>
          ${sparkline(
            series.map((point) => ({ at: point.at, value: point.lag })),
            `lag of ${row.topic} partition ${row.partition} over the last hour`,
          )}
        </td>
        <td>
          ${change === null ? '' : `${change > 0 ? '+' : ''}${number(change)} since ${relative(first?.at ?? view.now, view.now, 'ago')}`}
        </td>
      </tr>`;
    });
  return html`<section class="card" id="lag">
    <h2>Consumer lag per partition · trend over the last hour</h2>
    <p class="sub">
      A lag that keeps growing while the group's offset does not move means the consumer is stuck (the alert judges it so, over time, not by
      a threshold). ${view.lagSamples.length} reading${view.lagSamples.length === 1 ? '' : 's'} kept in this process.
    </p>
    ${dataTable(['topic', 'partition', 'lag now', 'last hour', 'change'], rows)}
  </section>`;
}

const UNDECODABLE = new Set<string>(['unsupported-codec', 'corrupt']);

const where = (topic: string | null, partition: number | null): string =>
  topic === null ? 'whole consumer' : `${topic}[${partition ?? '?'}]`;

const offsets = (first: string | null, last: string | null): string =>
  first === null ? '-' : last === null || last === first ? first : `${first}–${last}`;

function problemsCard(view: HealthView): Html {
  const problems = view.problems;
  const body =
    problems === null
      ? unavailable
      : problems.length === 0
        ? html`<p class="ok">Every consumer of this replica is making progress.</p>`
        : html`${dataTable(
            ['consumer', 'cause', 'partition', 'offsets', 'since', 'detail'],
            problems.map(
              (problem) =>
                html`<tr data-consumer="${problem.consumer}" data-cause="${problem.cause}">
                  <td>${visible(problem.consumer)}</td>
                  <td class="bad">${problem.cause}</td>
                  <td><code>${visible(where(problem.topic, problem.partition))}</code></td>
                  <td>${offsets(problem.offset, problem.lastOffset)}</td>
                  <td>
                    ${iso(view.now - problem.sinceMs)} UTC<br /><span class="sub"
                      >${relative(view.now - problem.sinceMs, view.now, 'ago')}</span
                    >
                  </td>
                  <td><code>${visible(problem.detail)}</code></td>
                </tr>`,
            ),
          )}
          ${
            problems.some((problem) => UNDECODABLE.has(problem.cause))
              ? html`<p class="sub">
                  A batch this build cannot decode holds its partition until an operator approves skipping it (the replica that owns the
                  partition dead-letters the batch, then goes on), or until a build that reads it runs:
                  <code>billing-enforcer partitions status</code>, then
                  <code>billing-enforcer partitions skip TOPIC PARTITION --from FIRST --to LAST --reason … --actor …</code>.
                </p>`
              : ''
          }`;
  return html`<section class="card" id="consumer-problems">
    <h2>Consumers not making progress</h2>
    <p class="sub">
      What this replica's consumers report (as /readyz does): each replica answers for the partitions it owns, so another replica's problems
      show on its own page.
    </p>
    ${body}
  </section>`;
}

function skipsCard(view: HealthView): Html {
  const skips = view.skips;
  const body =
    skips === null
      ? unavailable
      : skips.length === 0
        ? html`<p class="muted">No skip approvals.</p>`
        : dataTable(
            ['requested', 'partition', 'offsets', 'actor', 'reason', 'let through'],
            skips.map(
              (skip) =>
                html`<tr data-skip="${skip._id}">
                  <td>${iso(skip.requestedAt)} UTC</td>
                  <td><code>${visible(where(skip.topic, skip.partition))}</code></td>
                  <td>${offsets(skip.fromOffset, skip.toOffset)}</td>
                  <td>${visible(skip.actor)}</td>
                  <td>${visible(skip.reason)}</td>
                  <td>
                    ${
                      skip.skipped.length === 0
                        ? html`<span class="muted">nothing yet</span>`
                        : skip.skipped.map(
                            (batch) => html`<div>${offsets(batch.firstOffset, batch.lastOffset)} at ${iso(batch.at)} UTC</div>`,
                          )
                    }
                  </td>
                </tr>`,
            ),
          );
  return html`<section class="card" id="partition-skips">
    <h2>Skip approvals (latest ${SKIPS_SHOWN})</h2>
    <p class="sub">Each batch an approval let through is in the dead-letter topic with code <code>BATCH_SKIPPED</code>.</p>
    ${body}
  </section>`;
}

function reconcileCard(status: HealthView['reconcile'], now: Millis): Html {
  const body =
    status === undefined
      ? unavailable
      : status === null
        ? html`<p class="muted">No reconciliation has run yet.</p>`
        : html`<div class="big ${status.outcome === 'failed' ? 'bad' : 'ok'}">${status.outcome}</div>
            <div class="sub">${iso(status.at)} UTC (${relative(status.at, now, 'ago')})</div>
            ${
              status.report === null
                ? html`<p class="bad">${visible(status.error ?? '')}</p>`
                : html`<div class="sub">
                    ${number(status.report.subscriptionsScanned)} subscriptions, ${number(status.report.jobsScanned)} jobs scanned; drift:
                    ${number(status.report.missing)} missing, ${number(status.report.wrongTime)} re-timed, ${number(status.report.orphans)}
                    orphans; ${number(status.report.failed)} failed for good
                  </div>`
            }`;
  return html`<section class="card" id="reconcile">
    <h2>Last reconciliation</h2>
    ${body}
  </section>`;
}

export function healthPage(view: HealthView, context: ConsoleContext): Html {
  const failedLink = `${view.boardPath}/queue/${encodeURIComponent(view.timerQueue)}?status=failed`;
  return consolePage(
    context,
    'health',
    'health',
    html`<div class="tiles4">
        ${tile('outbox', 'Outbox backlog', view.outboxBacklog, {
          bad: (view.outboxBacklog ?? 0) > 0,
          note: 'subscriptions whose effects are not carried out yet',
        })}
        ${tile('pending-dead-letters', 'Pending dead letters', view.pendingDeadLetters, {
          bad: (view.pendingDeadLetters ?? 0) > 0,
          note: html`<a href="/admin/dead-letters?status=pending">list them</a>`,
        })}
        ${tile('identity-mismatches', 'Identity mismatches', view.identityMismatches?.total ?? null, {
          bad: (view.identityMismatches?.pending ?? 0) > 0,
          note: html`events naming another tenant or customer than the subscription's;
            <a href="/admin/dead-letters?code=IDENTITY_MISMATCH">${number(view.identityMismatches?.pending ?? 0)} pending</a>`,
        })}
        ${tile('failed-timers', 'Timer jobs failed', view.failedTimers, {
          bad: (view.failedTimers ?? 0) > 0,
          note: html`<a href="${failedLink}">in Bull Board</a>`,
        })}
      </div>
      ${problemsCard(view)} ${reconcileCard(view.reconcile, view.now)} ${lagCard(view)} ${skipsCard(view)}
      <footer>Generated ${iso(view.now)} UTC; this page reloads every ${HEALTH_REFRESH_SECONDS} s.</footer>`,
    { refreshSeconds: HEALTH_REFRESH_SECONDS },
  );
}
