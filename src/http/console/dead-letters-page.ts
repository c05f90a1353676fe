import type { DeadLetterFilter, DeadLetterView } from '../../storage/dead-letter.repository';
import { html, type Html } from '../html';
import { number } from './format';
import { type ConsoleContext, consolePage, csrfField, dataTable, notice } from './layout';
import { hexDump, visible } from './text';

export interface DeadLetterList {
  readonly filter: Omit<DeadLetterFilter, 'ids'>;
  readonly items: readonly DeadLetterView[];
  readonly total: number;
  readonly next: string | null;
  /** The inbound topics, offered as the topic filter's choices. */
  readonly topics: readonly string[];
  readonly notice?: { readonly kind: 'ok' | 'warn' | 'error'; readonly text: string };
}

const letterPath = (id: string): string => `/admin/dead-letters/${encodeURIComponent(id)}`;

function filterFields(filter: DeadLetterList['filter'], topics: readonly string[]): Html {
  const option = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}" ${selected ? html`selected` : ''}>${label}</option>`;
  return html`<div class="field">
      <label for="code">Code</label>
      <input id="code" name="code" type="text" value="${filter.code ?? ''}" placeholder="SCHEMA_VIOLATION" maxlength="64" />
    </div>
    <div class="field">
      <label for="sourceTopic">Source topic</label>
      <select id="sourceTopic" name="sourceTopic">
        ${option('', 'any', filter.sourceTopic === undefined)} ${topics.map((topic) => option(topic, topic, filter.sourceTopic === topic))}
      </select>
    </div>
    <div class="field">
      <label for="status">Status</label>
      <select id="status" name="status">
        ${option('', 'any', filter.status === undefined)} ${option('pending', 'pending', filter.status === 'pending')}
        ${option('replayed', 'replayed', filter.status === 'replayed')}
      </select>
    </div>`;
}

function hiddenFilter(filter: DeadLetterList['filter']): Html {
  return html`${filter.code === undefined ? '' : html`<input type="hidden" name="code" value="${filter.code}" />`}
  ${filter.sourceTopic === undefined ? '' : html`<input type="hidden" name="sourceTopic" value="${filter.sourceTopic}" />`}
  ${filter.status === undefined ? '' : html`<input type="hidden" name="status" value="${filter.status}" />`}`;
}

export function deadLettersPage(list: DeadLetterList, context: ConsoleContext): Html {
  const query = new URLSearchParams(Object.entries(list.filter).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  const nextHref = list.next === null ? null : `/admin/dead-letters?${new URLSearchParams([...query, ['after', list.next]]).toString()}`;
  return consolePage(
    context,
    'dead-letters',
    'dead letters',
    html`${list.notice === undefined ? '' : notice(list.notice.kind, list.notice.text)}
      <form class="filters" method="get" action="/admin/dead-letters" aria-label="Filter dead letters">
        ${filterFields(list.filter, list.topics)}
        <div class="field"><button class="secondary" type="submit">Filter</button></div>
      </form>
      <section class="card" id="letters">
        <h2>${number(list.total)} dead letter${list.total === 1 ? '' : 's'}</h2>
        ${
          list.items.length === 0
            ? html`<p class="muted">No dead letter matches.</p>`
            : html`${dataTable(
                ['letter', 'source', 'code', 'reason', 'failed (UTC)', 'status'],
                list.items.map(
                  (letter) =>
                    html`<tr data-letter="${letter.id}">
                      <td>
                        <a href="${letterPath(letter.id)}"><code>${letter.id}</code></a>
                      </td>
                      <td>
                        <code>${visible(letter.sourceTopic ?? '?')}</code
                        >${letter.sourcePartition === null ? '' : html` [${letter.sourcePartition}] @${letter.sourceOffset ?? '?'}`}
                      </td>
                      <td>${visible(letter.code ?? '')}</td>
                      <td class="muted">${visible((letter.reason ?? '').slice(0, 120))}</td>
                      <td>${letter.failedAt?.replace('T', ' ').slice(0, 19) ?? ''}</td>
                      <td>
                        <span class="pill ${letter.status === 'pending' ? 'suspended' : ''}">${letter.status}</span>${
                          letter.replayCount > 0 ? html` ×${letter.replayCount}` : ''
                        }
                      </td>
                    </tr>`,
                ),
              )}
              ${nextHref === null ? '' : html`<p><a href="${nextHref}" rel="next">Next page</a></p>`}`
        }
      </section>
      ${
        context.session === null || list.total === 0
          ? ''
          : html`<section class="card" id="replay-filter">
              <h2>Replay this selection</h2>
              <form method="post" action="/admin/dead-letters/replay">
                ${csrfField(context)} ${hiddenFilter(list.filter)}
                <p class="sub">
                  Sends every letter this filter selects back to its source topic, in order; already-replayed letters are skipped unless
                  forced. The worker recognises events it already applied, so a replay never applies one twice.
                </p>
                <div class="field">
                  <input id="force-filter" name="force" type="checkbox" value="true" />
                  <label for="force-filter" class="inline-label">Also replay letters already replayed</label>
                </div>
                <button class="primary" type="submit">Replay ${number(list.total)} letter${list.total === 1 ? '' : 's'}</button>
              </form>
            </section>`
      }`,
  );
}

function bytesOf(letter: DeadLetterView): Buffer | null {
  return letter.value === null ? null : Buffer.from(letter.value, 'base64');
}

export function deadLetterPage(
  letter: DeadLetterView,
  context: ConsoleContext,
  options: { notice?: { kind: 'ok' | 'warn' | 'error'; text: string }; correctedValue?: string } = {},
): Html {
  const bytes = bytesOf(letter);
  const text = bytes?.toString('utf8') ?? letter.valuePreview ?? '';
  const replayPath = '/admin/dead-letters/replay';
  return consolePage(
    context,
    'dead-letters',
    `dead letter ${letter.id}`,
    html`${options.notice === undefined ? '' : notice(options.notice.kind, options.notice.text)}
      <p><a href="/admin/dead-letters">← all dead letters</a></p>
      <section class="card" id="letter" data-letter="${letter.id}">
        <h2>Dead letter <code>${letter.id}</code></h2>
        <dl class="facts">
          <dt>status</dt>
          <dd data-field="status">
            ${letter.status}${letter.replayedAt === null ? '' : html` · last ${letter.replayedAt} by ${visible(letter.replayedBy ?? '?')}`}
            (${letter.replayCount} replay${letter.replayCount === 1 ? '' : 's'})
          </dd>
          <dt>source</dt>
          <dd>
            <code>${visible(letter.sourceTopic ?? '?')}</code> partition ${letter.sourcePartition ?? '?'} offset
            ${letter.sourceOffset ?? '?'}
          </dd>
          <dt>code</dt>
          <dd>${visible(letter.code ?? '')}</dd>
          <dt>reason</dt>
          <dd>${visible(letter.reason ?? '')}</dd>
          <dt>failed</dt>
          <dd>${letter.failedAt ?? '?'}</dd>
          <dt>key</dt>
          <dd><code>${letter.key === null ? '(none)' : visible(letter.key)}</code></dd>
          <dt>value</dt>
          <dd>
            ${letter.valueBytes === null ? '(none)' : `${number(letter.valueBytes)} bytes`}${bytes === null && letter.valueBytes !== null ? ' (too large to keep: replays only with a corrected value)' : ''}
          </dd>
          ${
            letter.replayOf === null
              ? ''
              : html`<dt>replay of</dt>
                  <dd><a href="${letterPath(letter.replayOf)}">${letter.replayOf}</a></dd>`
          }
        </dl>
      </section>
      <section class="card" id="headers">
        <h2>Headers</h2>
        ${
          letter.headers.length === 0
            ? html`<p class="muted">none</p>`
            : html`<table>
                <tbody>
                  ${letter.headers.map(
                    (header) =>
                      html`<tr>
                        <td><code>${visible(header.name)}</code></td>
                        <td>
                          <code
                            >${header.encoding === 'utf8' ? visible(header.value) : header.encoding === 'null' ? '(null)' : `base64 ${header.value}`}</code
                          >
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
      </section>
      <section class="card" id="bytes">
        <h2>Value as text (control characters spelled out)</h2>
        <pre class="bytes" data-field="text">${visible(text)}</pre>
        <h2>Value as bytes</h2>
        <pre class="bytes" data-field="hex">${bytes === null ? '(not kept)' : hexDump(bytes).join('\n')}</pre>
      </section>
      ${
        context.session === null
          ? ''
          : html`<section class="card" id="replay">
              <h2>Replay</h2>
              <div class="actions">
                <form method="post" action="${replayPath}" data-action="replay">
                  <h3>As it was</h3>
                  ${csrfField(context)}<input type="hidden" name="id" value="${letter.id}" />
                  <div class="field">
                    <input id="force-one" name="force" type="checkbox" value="true" ${letter.status === 'replayed' ? html`checked` : ''} />
                    <label for="force-one">Even if already replayed</label>
                  </div>
                  <button class="primary" type="submit">Replay this letter</button>
                </form>
                <form method="post" action="${replayPath}" data-action="replay-corrected">
                  <h3>With a corrected value</h3>
                  ${csrfField(context)}<input type="hidden" name="id" value="${letter.id}" />
                  <input type="hidden" name="force" value="true" />
                  <div class="field">
                    <label for="value">Corrected value (JSON, checked as the worker would before it is sent)</label>
                    <textarea id="value" name="value" required>${options.correctedValue ?? text}</textarea>
                  </div>
                  <button class="primary" type="submit">Replay with this value</button>
                </form>
              </div>
            </section>`
      }`,
  );
}
