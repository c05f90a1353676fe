import type { Subscription } from '../../domain';
import { html, type Html } from '../html';
import { type ConsoleContext, consolePage, dataTable } from './layout';
import { visible } from './text';

export function searchForm(query: string): Html {
  return html`<form class="search" method="get" action="/admin/search" role="search">
    <div>
      <label for="q">Subscription, customer or tenant id</label>
      <input id="q" name="q" type="search" value="${visible(query)}" maxlength="200" required />
    </div>
    <button class="primary" type="submit">Search</button>
  </form>`;
}

export interface SearchResult {
  readonly query: string;
  /** Where the query matched: the subscription id itself, its customer or its tenant. */
  readonly matches: readonly { readonly by: 'subscription' | 'customer' | 'tenant'; readonly subscription: Subscription }[];
  readonly limit: number;
}

export function searchPage(result: SearchResult | null, context: ConsoleContext): Html {
  const rows =
    result?.matches.map(
      ({ by, subscription }) =>
        html`<tr data-subscription="${subscription.subscriptionId}">
          <td>
            <a href="${`/admin/subscriptions/${encodeURIComponent(subscription.subscriptionId)}`}"
              ><code>${visible(subscription.subscriptionId)}</code></a
            >
          </td>
          <td>${visible(subscription.customerId)}</td>
          <td>${visible(subscription.tenantId)}</td>
          <td>
            <span class="pill ${subscription.status}">${subscription.status}</span>${
              subscription.legalHold === null ? '' : html`<span class="pill hold">legal hold</span>`
            }
          </td>
          <td>${by}</td>
        </tr>`,
    ) ?? [];
  return consolePage(
    context,
    'search',
    'search',
    html`${searchForm(result?.query ?? '')}
    ${
      result === null
        ? html`<p class="sub">Search by a subscription id (exact), a customer id or a tenant id.</p>`
        : result.matches.length === 0
          ? html`<p role="status">Nothing matches <code>${visible(result.query)}</code>.</p>`
          : html`<section class="card">
              <h2>${result.matches.length} match${result.matches.length === 1 ? '' : 'es'} for ${visible(result.query)}</h2>
              ${dataTable(['subscription', 'customer', 'tenant', 'status', 'matched by'], rows)}
              ${
                result.matches.length >= result.limit
                  ? html`<p class="sub">Showing the first ${result.limit} per kind of match; narrow the search.</p>`
                  : ''
              }
            </section>`
    }`,
  );
}
