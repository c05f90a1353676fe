import type { PolicyVersion } from '../../domain';
import type { Preview } from '../../use-cases/tenant-policies';
import { html, type Html } from '../html';
import { type policyView, previewView } from '../policy.routes';
import { consolePage, csrfField, dataTable, notice, type ConsoleContext } from './layout';
import { visible } from './text';

/** The draft as the form sends it (text fields, empty: follow the environment). */
export interface DraftFields {
  readonly delay: string;
  readonly reminders: string;
  readonly grace: string;
  readonly fraud: string;
  readonly applyToPending: boolean;
}

export interface PolicyPageView {
  readonly tenantId: string;
  readonly current: ReturnType<typeof policyView>;
  readonly environment: ReturnType<typeof policyView>;
  readonly versions: readonly PolicyVersion[];
  readonly draft: DraftFields;
  /** The preview of the draft, when one was asked for; or why the draft is no policy. */
  readonly preview: Preview | { readonly problem: string } | null;
  readonly stored?: number;
}

const describe = (policy: ReturnType<typeof policyView>): string =>
  `delay ${policy.deletionDelay}, reminders ${policy.deletionReminders.join(', ') || 'none'}, legal-hold grace ${policy.legalHoldReleaseGrace}, fraud threshold ${policy.fraudScoreThreshold}`;

function draftInputs(draft: DraftFields, hidden: boolean): Html {
  const field = (name: keyof Omit<DraftFields, 'applyToPending'>, label: string, placeholder: string) =>
    hidden
      ? html`<input type="hidden" name="${name}" value="${visible(draft[name])}" />`
      : html`<div class="field">
          <label for="${`policy-${name}`}">${label}</label>
          <input
            id="${`policy-${name}`}"
            name="${name}"
            type="text"
            maxlength="200"
            value="${visible(draft[name])}"
            placeholder="${placeholder}"
          />
        </div>`;
  return html`${field('delay', 'Deletion delay (ISO 8601, empty: the environment’s)', 'P90D')}
  ${field('reminders', 'Reminders before deletion (comma-separated; none for no reminders)', 'P30D,P7D,P1D')}
  ${field('grace', 'Legal-hold release grace', 'P7D')} ${field('fraud', 'Fraud score threshold (0 to 1)', '0.8')}
  ${
    hidden
      ? draft.applyToPending
        ? html`<input type="hidden" name="applyToPending" value="on" />`
        : ''
      : html`<div class="field">
          <label
            ><input type="checkbox" name="applyToPending" ${draft.applyToPending ? html`checked` : ''} /> Apply to pending deletions even
            when they would not move later (never before the date announced)</label
          >
        </div>`
  }`;
}

function previewSection(view: PolicyPageView, context: ConsoleContext): Html {
  const { preview } = view;
  if (preview === null) return html``;
  if ('problem' in preview) return notice('error', `Not a policy: ${preview.problem}`);
  const shown = previewView(preview);
  const { summary } = shown;
  const rows = shown.changes.map(
    (change) =>
      html`<tr data-subscription="${change.subscriptionId}">
        <td>
          <a href="${`/admin/subscriptions/${encodeURIComponent(change.subscriptionId)}`}"
            ><code>${visible(change.subscriptionId)}</code></a
          >
        </td>
        <td>${change.fromDueAt}</td>
        <td>${change.toDueAt}</td>
        <td>${change.movedBy}</td>
        <td>${change.heldAtAnnounced ? html`<b>kept at the announced date</b> (draft: ${change.policyDueAt})` : 'no'}</td>
        <td>${change.toReminders.join(' ') || 'none'}</td>
      </tr>`,
  );
  return html`<section class="card" data-section="preview">
    <h2>Preview: v${shown.fromVersion} → v${shown.toVersion} (nothing changed yet)</h2>
    <p>${describe(shown.policy)}</p>
    <p data-field="summary">
      ${summary.pending} pending deletions: ${summary.moved} would move (${summary.later} later), ${summary.heldAtAnnounced} kept at the
      date already announced, ${summary.remindersChanged} with reminders re-planned.
    </p>
    ${dataTable(['subscription', 'due now', 'due after', 'moved', 'announced date kept', 'reminders after'], rows)}
    ${shown.truncated ? html`<p class="sub">Only the first ${shown.changes.length} are shown.</p>` : ''}
    ${
      context.session === null
        ? html`<p class="sub">Sign in with your name to store this version: it is recorded under it.</p>`
        : html`<form method="post" action="${`/admin/tenants/${encodeURIComponent(view.tenantId)}/policy`}" data-action="store-policy">
            ${csrfField(context)} ${draftInputs(view.draft, true)}
            <div class="field">
              <label for="policy-reason">Reason (kept with the version)</label>
              <input id="policy-reason" name="reason" type="text" required maxlength="500" />
            </div>
            <button class="primary" type="submit">Store as v${shown.toVersion}</button>
          </form>`
    }
  </section>`;
}

/** A tenant's policy: in force, its versions, a draft previewed on live data, then stored under the operator's name. */
export function policyPage(view: PolicyPageView, context: ConsoleContext): Html {
  const rows = view.versions.map(
    (version) =>
      html`<tr data-version="${version.version}">
        <td>v${version.version}</td>
        <td>${new Date(version.createdAt).toISOString()}</td>
        <td>${visible(version.actor)}</td>
        <td>${visible(JSON.stringify(version.override))}</td>
        <td>${version.applyToPending ? 'applied to pending' : 'later only'}</td>
        <td>${visible(version.reason)}</td>
      </tr>`,
  );
  const path = `/admin/tenants/${encodeURIComponent(view.tenantId)}/policy`;
  return consolePage(
    context,
    'search',
    `policy of ${view.tenantId}`,
    html`${view.stored === undefined ? '' : notice('ok', `Version ${view.stored} stored; pending deletions re-planned.`)}
      <section class="card">
        <h2>Tenant <code>${visible(view.tenantId)}</code>: policy v${view.current.version}</h2>
        <p data-field="current">${describe(view.current)}</p>
        <p class="sub">Environment default (v0): ${describe(view.environment)}</p>
        ${rows.length === 0 ? html`<p class="sub">No versions of its own.</p>` : dataTable(['version', 'created', 'by', 'override', 'pending', 'reason'], rows)}
      </section>
      <section class="card">
        <h2>Draft a change</h2>
        <form method="get" action="${path}" data-action="preview-policy">
          <input type="hidden" name="preview" value="1" />
          ${draftInputs(view.draft, false)}
          <button type="submit">Preview on live data</button>
        </form>
      </section>
      ${previewSection(view, context)}`,
  );
}
