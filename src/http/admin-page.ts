import { STATUSES, type Millis, type Status, type Subscription } from '../domain';
import type { DeletionForecast } from '../ops/deletion-forecast';
import { deletionJobId } from '../queue/timer-jobs';
import { SESSION_TTL_SECONDS } from './admin-session';
import { Html, html } from './html';

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

const STYLE = `
:root { --ink:#1d2330; --muted:#5f6b7a; --line:#e3e7ee; --bg:#f5f7fa; --card:#fff; --accent:#2f6fde;
  --active:#1f9d55; --suspended:#d98b06; --cancelled:#c2410c; --deleted:#6b7280; --bad:#c53030; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; color:var(--ink); background:var(--bg); }
header { background:#1d2330; color:#fff; padding:14px 28px; display:flex; align-items:center; gap:20px; }
header h1 { font-size:17px; margin:0; font-weight:600; letter-spacing:.2px; }
header h1 span { color:#9fb3d1; font-weight:400; }
header nav { margin-left:auto; display:flex; gap:18px; align-items:center; }
header a, header button { color:#dbe6f7; text-decoration:none; font:inherit; background:none; border:0; cursor:pointer; padding:0; }
header a:hover, header button:hover { color:#fff; text-decoration:underline; }
main { max-width:1120px; margin:0 auto; padding:24px 28px 40px; }
.grid { display:grid; grid-template-columns:2fr 1fr 1.4fr; gap:16px; margin-bottom:16px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px 18px; box-shadow:0 1px 2px rgba(16,24,40,.04); }
main > .card { margin-bottom:16px; }
.card h2 { font-size:13px; text-transform:uppercase; letter-spacing:.6px; color:var(--muted); margin:0 0 12px; font-weight:600; }
.big { font-size:30px; font-weight:650; line-height:1.1; font-variant-numeric:tabular-nums; }
.sub { color:var(--muted); font-size:13px; }
.tiles { display:grid; grid-template-columns:repeat(4,1fr); gap:10px; }
.tile { border-left:4px solid var(--line); padding:2px 0 2px 10px; }
.tile .big { font-size:24px; }
.tile.active { border-color:var(--active); } .tile.suspended { border-color:var(--suspended); }
.tile.cancelled { border-color:var(--cancelled); } .tile.deleted { border-color:var(--deleted); }
.mix { display:block; width:100%; height:8px; border-radius:4px; margin:14px 0 6px; }
.mix .empty { fill:var(--line); } .mix .active { fill:var(--active); } .mix .suspended { fill:var(--suspended); }
.mix .cancelled { fill:var(--cancelled); } .mix .deleted { fill:var(--deleted); }
.bad { color:var(--bad); }
.ok { color:var(--active); }
.counts { display:grid; grid-template-columns:repeat(2,1fr); gap:6px 14px; margin-top:6px; }
.counts a { display:flex; justify-content:space-between; color:var(--ink); text-decoration:none; border-bottom:1px dashed var(--line); padding:2px 0; }
.counts a:hover { color:var(--accent); }
.counts b { font-variant-numeric:tabular-nums; }
.summary { display:flex; gap:28px; margin-bottom:8px; }
.summary div { font-size:13px; color:var(--muted); }
.summary b { display:block; font-size:22px; color:var(--ink); font-variant-numeric:tabular-nums; }
svg.chart { width:100%; height:auto; display:block; }
.chart .bar { fill:var(--accent); } .chart .bar.today { fill:#1b4fae; }
.chart .grid-line { stroke:var(--line); stroke-width:1; } .chart .base { stroke:#c5ccd8; stroke-width:1; }
.chart text { font-size:11px; fill:var(--muted); font-family:inherit; } .chart text.value { fill:var(--ink); font-size:10px; }
table { width:100%; border-collapse:collapse; font-size:14px; }
th { text-align:left; font-weight:600; color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.5px; border-bottom:1px solid var(--line); padding:6px 8px; }
td { border-bottom:1px solid var(--line); padding:7px 8px; font-variant-numeric:tabular-nums; white-space:nowrap; }
.scroll { overflow-x:auto; }
td code { font-size:13px; }
.pill { display:inline-block; font-size:12px; padding:1px 8px; border-radius:999px; background:#eef1f6; color:var(--muted); margin-right:4px; }
.pill.suspended { background:#fdf2dc; color:#8a5800; } .pill.cancelled { background:#fde7dc; color:#9a3412; }
.pill.hold { background:#ede9fe; color:#5b21b6; } .pill.progress { background:#dbeafe; color:#1e40af; }
a { color:var(--accent); }
footer { color:var(--muted); font-size:12px; margin-top:18px; }
.login { max-width:380px; margin:12vh auto; }
.login label { display:block; font-size:13px; color:var(--muted); margin:14px 0 6px; }
.login input[type=password] { width:100%; padding:9px 10px; font:inherit; border:1px solid #c5ccd8; border-radius:6px; }
.login button { margin-top:14px; width:100%; padding:9px; font:inherit; font-weight:600; color:#fff; background:var(--accent); border:0; border-radius:6px; cursor:pointer; }
.login .error { background:#fdecec; color:var(--bad); border-radius:6px; padding:8px 10px; margin-top:12px; font-size:14px; }
@media (max-width: 900px) { .grid { grid-template-columns:1fr; } }
`;

// Our own constant, not escaped: a <style> element's text is not HTML, so entities would break selectors and font names.
const STYLE_HTML = new Html(STYLE);

function page(title: string, nonce: string, body: Html): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <link rel="icon" href="data:," />
        <title>${title}</title>
        <style nonce="${nonce}">
          ${STYLE_HTML}
        </style>
      </head>
      <body>
        ${body}
      </body>
    </html>`;
}

const number = (value: number): string => value.toLocaleString('en-US');
const iso = (ms: Millis): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 16);

/** `in 11 d 23 h`, `overdue 2 h 5 min`: the two largest units. */
function relative(ms: Millis, now: Millis): string {
  const delta = ms - now;
  const minutes = Math.floor(Math.abs(delta) / 60_000);
  const [days, hours, mins] = [Math.floor(minutes / 1_440), Math.floor(minutes / 60) % 24, minutes % 60];
  const text = days > 0 ? `${days} d ${hours} h` : hours > 0 ? `${hours} h ${mins} min` : `${mins} min`;
  return delta >= 0 ? `in ${text}` : `overdue ${text}`;
}

const unavailable = html`<p class="bad">unavailable (see the worker's logs)</p>`;

/** A rounded axis top: 1, 2, 5 × 10ⁿ at or above `max`. */
function axisTop(max: number): number {
  if (max <= 4) return Math.max(1, max);
  const magnitude = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 2.5, 5, 10].map((step) => step * magnitude).find((top) => top >= max) ?? 10 * magnitude;
}

/** Deletions per day as an inline SVG bar chart: no script, readable without hovering (counts on the bars, weekly labels). */
export function deletionChart(forecast: DeletionForecast): Html {
  const width = 1040;
  const height = 230;
  const left = 36;
  const right = 8;
  const top = 16;
  const bottom = 30;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const max = axisTop(Math.max(0, ...forecast.days.map((day) => day.count)));
  const slot = plotWidth / Math.max(1, forecast.days.length);
  const barWidth = Math.max(2, slot * 0.72);
  const y = (count: number): number => top + plotHeight - (count / max) * plotHeight;
  const ticks = max <= 4 ? Array.from({ length: max + 1 }, (_, index) => index) : [0, max / 2, max];
  const gridLines = ticks.map(
    (tick) =>
      html`<line class="grid-line" x1="${left}" x2="${width - right}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" /><text
          x="${left - 6}"
          y="${(y(tick) + 4).toFixed(1)}"
          text-anchor="end"
          >${number(tick)}</text
        >`,
  );
  const bars = forecast.days.map((day, index) => {
    const x = left + index * slot + (slot - barWidth) / 2;
    const label = index === 0 ? 'today' : index % 7 === 0 ? day.day.slice(5) : '';
    const tip = `${day.day}: ${number(day.count)} deletion${day.count === 1 ? '' : 's'}`;
    return html`${
      day.count > 0
        ? html`<rect
              class="bar${index === 0 ? ' today' : ''}"
              x="${x.toFixed(1)}"
              y="${y(day.count).toFixed(1)}"
              width="${barWidth.toFixed(1)}"
              height="${(top + plotHeight - y(day.count)).toFixed(1)}"
              rx="2"
              ><title>${tip}</title></rect
            ><text class="value" x="${(x + barWidth / 2).toFixed(1)}" y="${(y(day.count) - 3).toFixed(1)}" text-anchor="middle"
              >${number(day.count)}</text
            >`
        : html`<rect x="${x.toFixed(1)}" y="${top}" width="${barWidth.toFixed(1)}" height="${plotHeight}" fill="transparent"
            ><title>${tip}</title></rect
          >`
    }${label === '' ? '' : html`<text x="${(x + barWidth / 2).toFixed(1)}" y="${height - 10}" text-anchor="middle">${label}</text>`}`;
  });
  const total = forecast.days.reduce((sum, day) => sum + day.count, 0);
  return html`<svg
    class="chart"
    viewBox="0 0 ${width} ${height}"
    role="img"
    aria-label="${`${number(total)} deletions due in the next ${forecast.windowDays} days, per day`}"
  >
    ${gridLines}
    <line class="base" x1="${left}" x2="${width - right}" y1="${top + plotHeight}" y2="${top + plotHeight}" />
    ${bars}
  </svg>`;
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

/** The statuses' shares as one stacked bar. */
function mixBar(statuses: Readonly<Record<Status, number>>, total: number): Html {
  let offset = 0;
  const parts = STATUSES.filter((status) => statuses[status] > 0).map((status) => {
    const width = (statuses[status] / total) * 100;
    const part = html`<rect class="${status}" x="${offset.toFixed(2)}" y="0" width="${width.toFixed(2)}" height="6"
      ><title>${`${status}: ${number(statuses[status])}`}</title></rect
    >`;
    offset += width;
    return part;
  });
  return html`<svg class="mix" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true">
    <rect class="empty" width="100" height="6" />
    ${parts}
  </svg>`;
}

function deadLetterCard(deadLetters: OpsView['deadLetters']): Html {
  const { count } = deadLetters;
  return html`<section class="card" id="dead-letters">
    <h2>Dead letters</h2>
    ${count === null ? unavailable : html`<div class="big ${count > 0 ? 'bad' : 'ok'}">${number(count)}</div>`}
    <div class="sub">held in <code>${deadLetters.topic}</code></div>
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
    <h2>Deletions due per day · next ${forecast.windowDays} days (UTC)</h2>
    <div class="summary">
      <div><b>${number(sum(forecast.days.length))}</b>next ${forecast.windowDays} days</div>
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
      <td><code>${sub.subscriptionId}</code></td>
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
        : html`<div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>subscription</th>
                  <th>tenant</th>
                  <th>status</th>
                  <th>due (UTC)</th>
                  <th></th>
                  <th>job</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>
          </div>`
    }
  </section>`;
}

/** The ops page: subscriptions by status, dead letters, timer jobs, deletions due per day and the soonest ones. */
export function opsPage(view: OpsView, nonce: string): Html {
  return page(
    'billing-enforcer · operations',
    nonce,
    html`<header>
        <h1>billing-enforcer <span>operations</span></h1>
        <nav>
          <a href="${view.boardPath}">Bull Board</a><a href="/metrics">Metrics</a>
          <form method="post" action="/admin/logout"><button type="submit">Log out</button></form>
        </nav>
      </header>
      <main>
        <div class="grid">${statusCard(view.statuses)}${deadLetterCard(view.deadLetters)}${queueCard(view.queues, view.boardPath)}</div>
        ${forecastCard(view.forecast)} ${soonestCard(view.soonest, view.now, view.boardPath, view.timerQueue)}
        <footer>Generated ${iso(view.now)} UTC. Reload for fresh numbers.</footer>
      </main>`,
  );
}

/** The sign-in form: the token is posted once and exchanged for a session cookie. */
export function loginPage(options: { next: string; error?: string }, nonce: string): Html {
  return page(
    'billing-enforcer · sign in',
    nonce,
    html`<main>
      <section class="card login">
        <h2>billing-enforcer admin</h2>
        <form method="post" action="/admin/login">
          <input type="hidden" name="next" value="${options.next}" />
          <label for="token">Admin token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
          <button type="submit">Sign in</button>
          ${options.error === undefined ? '' : html`<div class="error" role="alert">${options.error}</div>`}
        </form>
        <p class="sub">
          The value of ADMIN_TOKEN. You stay signed in for ${SESSION_TTL_SECONDS / 3600} hours; scripts send
          <code>Authorization: Bearer …</code> instead.
        </p>
      </section>
    </main>`,
  );
}
