import type { Millis } from '../../domain';
import type { PartitionLag } from '../../kafka/offsets';
import { partitionSeries, type LagSample } from '../../metrics/lag-history';
import type { ReconcileStatus } from '../../use-cases/reconcile-status';
import { html, type Html } from '../html';
import { sparkline } from './chart';
import { iso, number, relative, unavailable } from './format';
import { type ConsoleContext, consolePage, dataTable } from './layout';
import { visible } from './text';

export const HEALTH_REFRESH_SECONDS = 30;

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
      ${reconcileCard(view.reconcile, view.now)} ${lagCard(view)}
      <footer>Generated ${iso(view.now)} UTC; this page reloads every ${HEALTH_REFRESH_SECONDS} s.</footer>`,
    { refreshSeconds: HEALTH_REFRESH_SECONDS },
  );
}
