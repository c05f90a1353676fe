import type { AdminSession } from '../admin-session';
import { html, type Html, type HtmlValue } from '../html';
import { STYLE } from './styles';
import { visible } from './text';

/** Who is looking, and what every page needs to act on their behalf. */
export interface ConsoleContext {
  /** The signed-in browser; null for a request with the bearer token (a script), which may read but not act here. */
  readonly session: AdminSession | null;
  /** The session's anti-forgery token, put in every state-changing form. */
  readonly csrf: string;
  readonly boardPath: string;
  readonly nonce: string;
}

export type Section = 'overview' | 'search' | 'dead-letters' | 'health';

export function document(title: string, nonce: string, body: Html, options: { refreshSeconds?: number } = {}): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        ${options.refreshSeconds === undefined ? '' : html`<meta http-equiv="refresh" content="${options.refreshSeconds}" />`}
        <link rel="icon" href="data:," />
        <title>${title}</title>
        <style nonce="${nonce}">
          ${STYLE}
        </style>
      </head>
      <body>
        ${body}
      </body>
    </html>`;
}

/** The hidden field every state-changing form carries. */
export const csrfField = (context: ConsoleContext): Html => html`<input type="hidden" name="csrf" value="${context.csrf}" />`;

const SECTIONS: readonly { id: Section; label: string; href: string }[] = [
  { id: 'overview', label: 'Overview', href: '/admin' },
  { id: 'search', label: 'Search', href: '/admin/search' },
  { id: 'dead-letters', label: 'Dead letters', href: '/admin/dead-letters' },
  { id: 'health', label: 'Health', href: '/admin/health' },
];

/** A console page: the header with its navigation and who is signed in, then the page's own content. */
export function consolePage(
  context: ConsoleContext,
  section: Section,
  title: string,
  content: Html,
  options: { refreshSeconds?: number } = {},
): Html {
  return document(
    `billing-enforcer · ${title}`,
    context.nonce,
    html`<header>
        <h1>billing-enforcer <span>operations</span></h1>
        <nav aria-label="Console">
          ${SECTIONS.map(
            (entry) => html`<a href="${entry.href}" ${entry.id === section ? html`aria-current="page"` : ''}>${entry.label}</a>`,
          )}
          <a href="${context.boardPath}">Bull Board</a><a href="/metrics">Metrics</a>
          ${
            context.session === null
              ? html`<span class="muted">bearer token</span>`
              : html`<span>signed in as <b>${visible(context.session.name)}</b></span>
                  <form class="inline" method="post" action="/admin/logout">
                    ${csrfField(context)}<button type="submit">Log out</button>
                  </form>`
          }
        </nav>
      </header>
      <main>${content}</main>`,
    options,
  );
}

/** The outcome of the last action, shown once at the top of the page it led back to. */
export function notice(kind: 'ok' | 'warn' | 'error', text: string): Html {
  return html`<div class="notice ${kind === 'ok' ? '' : kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</div>`;
}

/** A scrollable table: its column headers and its rows (each a `<tr>`). */
export function dataTable(headers: readonly string[], rows: HtmlValue): Html {
  return html`<div class="scroll">
    <table>
      <thead>
        <tr>
          ${headers.map((header) => html`<th>${header}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}
