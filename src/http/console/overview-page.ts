import { STATUSES, type Millis, type Status, type Subscription } from '../../domain';
import type { DeletionForecast } from '../../use-cases/deletion-forecast';
import { deletionJobId } from '../../queue/timer-jobs';
import { html, type Html } from '../html';
import { deletionChart, mixBar } from './chart';
import { isoMinute as iso, number, relative, unavailable } from './format';
import { type ConsoleContext, consolePage, dataTable } from './layout';
import { searchForm } from './search-page';

/** What the ops page shows; a section whose source failed is null and says so instead of failing the page. */
export interface OpsView {
  readonly now: Millis;
  readonly statuses: Readonly<Record<Status, number>> | null;
  readonly forecast: DeletionForecast | null;
  readonly soonest: readonly Subscription[] | null;
  readonly deadLetters: { readonly topic: string; readonly count: number | null };
  readonly queues: readonly { readonly name: string; readonly counts: Readonly<Record<string, number>> | null }[];
  /** The queue deletion jobs run on; the table links each deletion to its job in Bull Board. */
  readonly timerQueue: string;
  readonly boardPath: string;
}

function statusCard(statuses: OpsView['statuses']): Html {
  if (statuses === null)
    return html`<section class="card">
      <h2>Subscriptions</h2>
      ${unavailable}
    </section>`;
  const total = STATUSES.reduce((sum, status) => sum + statuses[status], 0);
  return html`<section class="card" id="subscriptions">
    <h2>Subscriptions · ${number(total)}</h2>
    <div class="tiles">
      ${STATUSES.map(
        (status) =>
          html`<div class="tile ${status}" data-status="${status}">
            <div class="big">${number(statuses[status])}</div>
            <div class="sub">${status}</div>
          </div>`,
      )}
    </div>
    ${mixBar(statuses, total)}
    <div class="sub">${number(statuses.suspended + statuses.cancelled)} without user access (suspended or cancelled)</div>
  </section>`;
}

function deadLetterCard(deadLetters: OpsView['deadLetters']): Html {
  const { count } = deadLetters;
  return html`<section class="card" id="dead-letters">
    <h2>Dead letters</h2>
    ${count === null ? unavailable : html`<div class="big ${count > 0 ? 'bad' : 'ok'}">${number(count)}</div>`}
    <div class="sub">held in <code>${deadLetters.topic}</code> · <a href="/admin/dead-letters?status=pending">list</a></div>
  </section>`;
}

const QUEUE_STATES = ['delayed', 'waiting', 'active', 'failed'] as const;

function queueCard(queues: OpsView['queues'], boardPath: string): Html {
  return html`<section class="card" id="queues">
    <h2>Timer jobs</h2>
    ${queues.map(
      (queue) =>
        html`<div>
          <a href="${`${boardPath}/queue/${encodeURIComponent(queue.name)}`}"><code>${queue.name}</code></a
          >${
            queue.counts === null
              ? unavailable
              : html`<div class="counts">
                  ${QUEUE_STATES.map(
                    (state) =>
                      html`<a href="${`${boardPath}/queue/${encodeURIComponent(queue.name)}?status=${state}`}" data-state="${state}"
                        ><span>${state}</span
                        ><b class="${state === 'failed' && (queue.counts?.[state] ?? 0) > 0 ? 'bad' : ''}"
                          >${number(queue.counts?.[state] ?? 0)}</b
                        ></a
                      >`,
                  )}
                </div>`
          }
        </div>`,
    )}
  </section>`;
}

function forecastCard(forecast: DeletionForecast | null): Html {
  if (forecast === null)
    return html`<section class="card">
      <h2>Deletions due</h2>
      ${unavailable}
    </section>`;
  const sum = (days: number): number => forecast.days.slice(0, days).reduce((total, day) => total + day.count, 0);
  return html`<section class="card" id="forecast">
    <h2>Deletions due per day · next ${forecast.days.length} days (UTC)</h2>
    <div class="summary">
      <div><b>${number(sum(forecast.days.length))}</b>next ${forecast.days.length} days</div>
      <div><b>${number(sum(7))}</b>next 7 days</div>
      <div><b>${number(sum(1))}</b>today</div>
      <div><b class="${forecast.overdue > 0 ? 'bad' : ''}">${number(forecast.overdue)}</b>overdue (legal hold, in progress or late)</div>
    </div>
    ${deletionChart(forecast)}
  </section>`;
}

function soonestCard(soonest: OpsView['soonest'], now: Millis, boardPath: string, queue: string): Html {
  if (soonest === null)
    return html`<section class="card">
      <h2>Next deletions</h2>
      ${unavailable}
    </section>`;
  const rows = soonest.map((sub) => {
    const timer = sub.deletion;
    if (timer === null) return '';
    const jobId = deletionJobId(sub.subscriptionId, timer.generation);
    return html`<tr data-subscription="${sub.subscriptionId}">
      <td>
        <a href="${`/admin/subscriptions/${encodeURIComponent(sub.subscriptionId)}`}"><code>${sub.subscriptionId}</code></a>
      </td>
      <td>${sub.tenantId}</td>
      <td>
        <span class="pill ${sub.status}">${sub.status}</span>${
          sub.legalHold === null ? '' : html`<span class="pill hold">legal hold</span>`
        }${timer.claimedAt === null ? '' : html`<span class="pill progress">in progress</span>`}
      </td>
      <td>${iso(timer.dueAt)}</td>
      <td class="${timer.dueAt < now ? 'bad' : ''}">${relative(timer.dueAt, now)}</td>
      <td><a href="${`${boardPath}/queue/${encodeURIComponent(queue)}/${encodeURIComponent(jobId)}`}">${jobId}</a></td>
    </tr>`;
  });
  return html`<section class="card" id="soonest">
    <h2>Next deletions</h2>
    ${
      soonest.length === 0
        ? html`<p class="sub">No deletion is scheduled.</p>`
        : dataTable(['subscription', 'tenant', 'status', 'due (UTC)', '', 'job'], rows)
    }
  </section>`;
}

/** The overview: search, subscriptions by status, dead letters, timer jobs, deletions due per day and the soonest ones. */
export function overviewPage(view: OpsView, context: ConsoleContext): Html {
  return consolePage(
    context,
    'overview',
    'operations',
    html`${searchForm('')}
      <div class="grid">${statusCard(view.statuses)}${deadLetterCard(view.deadLetters)}${queueCard(view.queues, view.boardPath)}</div>
      ${forecastCard(view.forecast)} ${soonestCard(view.soonest, view.now, view.boardPath, view.timerQueue)}
      <footer>Generated ${iso(view.now)} UTC. Reload for fresh numbers.</footer>`,
  );
}
