import type { Millis, Subscription } from '../../domain';
import type { ProducedEvent } from '../../use-cases/lifecycle-from-audit';
import type { OperatorAction } from '../../use-cases/operator-commands';
import type { Timeline } from '../../use-cases/timeline';
import { verificationText, type AuditVerification } from '../../use-cases/audit-verification';
import { html, type Html } from '../html';
import { iso, relative } from './format';
import { consolePage, csrfField, notice, type ConsoleContext } from './layout';
import { visible } from './text';

export interface SubscriptionView {
  readonly now: Millis;
  readonly timeline: Timeline;
  readonly events: readonly ProducedEvent[];
  readonly boardPath: string;
  readonly queue: string;
  /** Sent back with the form: submitting the same form twice applies the action once. */
  readonly requestId: string;
  /** The audit hash chain, verified when the page was built. */
  readonly chain: AuditVerification;
  /** The outcome of the action that led here, if any. */
  readonly notice?: { readonly kind: 'ok' | 'warn' | 'error'; readonly text: string };
}

const ACTION_LABELS: Readonly<Record<OperatorAction, string>> = {
  'legal-hold-set': 'Place legal hold',
  'legal-hold-release': 'Release legal hold',
  suspend: 'Suspend',
  resume: 'Resume',
  cancel: 'Cancel subscription',
};

/** What an operator may do now: the state machine would ignore the others (no change), so they are not offered. */
export function availableActions(state: Subscription): OperatorAction[] {
  if (state.status === 'deleted') return [];
  const actions: OperatorAction[] = [state.legalHold === null ? 'legal-hold-set' : 'legal-hold-release'];
  const requested = state.holds.some((hold) => hold.reason === 'customer_request');
  if (state.status !== 'cancelled' && !requested) actions.push('suspend');
  if (state.status === 'suspended' && requested) actions.push('resume');
  if (state.status !== 'cancelled') actions.push('cancel');
  return actions;
}

function facts(state: Subscription, now: Millis): Html {
  const deletion = state.deletion;
  return html`<dl class="facts">
    <dt>status</dt>
    <dd><span class="pill ${state.status}" data-field="status">${state.status}</span></dd>
    <dt>customer</dt>
    <dd>
      <a href="${`/admin/search?q=${encodeURIComponent(state.customerId)}`}"><code>${visible(state.customerId)}</code></a>
    </dd>
    <dt>tenant</dt>
    <dd>
      <a href="${`/admin/search?q=${encodeURIComponent(state.tenantId)}`}"><code>${visible(state.tenantId)}</code></a>
      · <a href="${`/admin/tenants/${encodeURIComponent(state.tenantId)}/policy`}" data-link="tenant-policy">its policy</a>
    </dd>
    <dt>holds</dt>
    <dd data-field="holds">
      ${
        state.holds.length === 0
          ? html`<span class="muted">none</span>`
          : state.holds.map((hold) => html`<span class="pill suspended">${hold.reason}</span> since ${iso(hold.since)} `)
      }
    </dd>
    <dt>legal hold</dt>
    <dd data-field="legal-hold">
      ${
        state.legalHold === null
          ? html`<span class="muted">none</span>`
          : html`<span class="pill hold">legal hold</span> by <b>${visible(state.legalHold.actor)}</b> since ${iso(state.legalHold.since)}:
              ${visible(state.legalHold.reason)}`
      }
    </dd>
    <dt>deletion due</dt>
    <dd data-field="deletion">
      ${
        deletion === null
          ? html`<span class="muted">none scheduled</span>`
          : html`${iso(deletion.dueAt)} UTC
              (${relative(deletion.dueAt, now)})${
                state.legalHold === null ? '' : html` · <b>paused by the legal hold</b>`
              }${deletion.claimedAt === null ? '' : html` · <span class="pill progress">in progress</span>`}
              ·
              <span class="muted" data-field="policy-version"
                >tenant policy
                ${deletion.policyVersion === undefined || deletion.policyVersion === 0 ? 'default' : `v${deletion.policyVersion}`}</span
              >`
      }
    </dd>
    ${
      state.cancelledAt === null
        ? ''
        : html`<dt>cancelled</dt>
            <dd>${iso(state.cancelledAt)}</dd>`
    }
    ${
      state.deletedAt === null
        ? ''
        : html`<dt>data deleted</dt>
            <dd>${iso(state.deletedAt)}</dd>`
    }
    <dt>updated</dt>
    <dd>${iso(state.updatedAt)}</dd>
  </dl>`;
}

function actionForms(state: Subscription, requestId: string, context: ConsoleContext): Html {
  const actions = availableActions(state);
  if (context.session === null) return html`<p class="sub">Sign in with your name to act: actions are recorded under it.</p>`;
  if (actions.length === 0) return html`<p class="sub">A deleted subscription takes no more actions.</p>`;
  const path = `/admin/subscriptions/${encodeURIComponent(state.subscriptionId)}/actions`;
  return html`<div class="actions">
    ${actions.map(
      (action) =>
        html`<form method="post" action="${path}" data-action="${action}">
          <h3>${ACTION_LABELS[action]}</h3>
          ${csrfField(context)}<input type="hidden" name="action" value="${action}" />
          <input type="hidden" name="requestId" value="${requestId}" />
          <div class="field">
            <label for="${`reason-${action}`}">Reason (recorded in the audit trail)</label>
            <input id="${`reason-${action}`}" name="reason" type="text" required maxlength="500" />
          </div>
          <button class="${action === 'cancel' ? 'danger' : 'primary'}" type="submit">${ACTION_LABELS[action]}</button>
        </form>`,
    )}
  </div>`;
}

interface Line {
  readonly at: Millis;
  readonly row: Html;
}

function timelineRows(view: SubscriptionView): Html[] {
  const jobLink = (jobId: string) =>
    html`<a href="${`${view.boardPath}/queue/${encodeURIComponent(view.queue)}/${encodeURIComponent(jobId)}`}"><code>${jobId}</code></a>`;
  const lines: Line[] = [
    ...view.timeline.audit.map((record) => ({
      at: record.recordedAt,
      row: html`<tr data-kind="audit">
        <td>${iso(record.recordedAt)}</td>
        <td>${record.type}</td>
        <td>${record.actor.kind}: ${visible(record.actor.id)}</td>
        <td>
          ${record.outcome}${record.statusBefore === record.statusAfter ? '' : html` · ${record.statusBefore ?? '∅'} → ${record.statusAfter ?? '∅'}`}
        </td>
        <td>
          ${visible(record.reason)}${record.note === undefined ? '' : html`<br /><span class="muted">“${visible(record.note)}”</span>`}
        </td>
      </tr>`,
    })),
    ...view.timeline.scheduled.map((timer) => ({
      at: timer.dueAt,
      row: html`<tr data-kind="timer" data-job-state="${timer.jobState}">
        <td>${iso(timer.dueAt)}</td>
        <td>${timer.kind === 'deletion' ? 'deletion (scheduled)' : `reminder ${timer.offset ?? ''} (scheduled)`}</td>
        <td>timer</td>
        <td>
          <span class="pill ${timer.jobState === 'missing' || timer.jobState === 'failed' ? 'cancelled' : 'progress'}"
            >job ${timer.jobState}</span
          >
        </td>
        <td>${jobLink(timer.jobId)} ${relative(timer.dueAt, view.now)}</td>
      </tr>`,
    })),
  ];
  return lines.sort((a, b) => a.at - b.at).map((line) => line.row);
}

export function subscriptionPage(view: SubscriptionView, context: ConsoleContext): Html {
  const state = view.timeline.subscription;
  return consolePage(
    context,
    'search',
    `subscription ${visible(state.subscriptionId)}`,
    html`${view.notice === undefined ? '' : notice(view.notice.kind, view.notice.text)}
      <section class="card" id="subscription" data-subscription="${state.subscriptionId}">
        <h2>Subscription <code>${visible(state.subscriptionId)}</code></h2>
        ${facts(state, view.now)}
      </section>
      <section class="card" id="actions">
        <h2>Actions</h2>
        ${actionForms(state, view.requestId, context)}
      </section>
      <section class="card" id="audit-chain" data-verified="${view.chain.verified ? 'yes' : 'no'}">
        <h2>Audit chain</h2>
        <!-- No role: the page's one status or alert is the outcome of the operator's action. -->
        <div class="notice ${view.chain.verified ? '' : 'error'}">${visible(verificationText(view.chain))}</div>
      </section>
      <section class="card timeline" id="timeline">
        <h2>Timeline · audit trail and scheduled timers</h2>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>when (UTC)</th>
                <th>what</th>
                <th>by</th>
                <th>outcome</th>
                <th>detail</th>
              </tr>
            </thead>
            <tbody>
              ${timelineRows(view)}
            </tbody>
          </table>
        </div>
      </section>
      <section class="card" id="lifecycle">
        <h2>Lifecycle events produced</h2>
        <p class="sub">Read back from the audit trail (each applied change names the events it published), not from the lifecycle topic.</p>
        ${
          view.events.length === 0
            ? html`<p class="muted">None yet.</p>`
            : html`<table>
                <thead>
                  <tr>
                    <th>when (UTC)</th>
                    <th>event</th>
                    <th>detail</th>
                    <th>caused by</th>
                  </tr>
                </thead>
                <tbody>
                  ${view.events.map(
                    (event) =>
                      html`<tr data-event="${event.type}">
                        <td>${iso(event.at)}</td>
                        <td><code>${event.type}</code></td>
                        <td>${visible(event.detail ?? '')}</td>
                        <td><code>${visible(event.causationId)}</code></td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
      </section>`,
  );
}
