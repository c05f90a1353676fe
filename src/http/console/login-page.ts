import { SESSION_TTL_SECONDS } from '../admin-session';
import { html, type Html } from '../html';
import { document } from './layout';

/** The sign-in form: a name (recorded as the actor of every action taken) and the token, exchanged for a session cookie. */
export function loginPage(options: { next: string; name?: string; error?: string }, nonce: string): Html {
  return document(
    'billing-enforcer · sign in',
    nonce,
    html`<main>
      <section class="card login">
        <h2>billing-enforcer admin</h2>
        <form method="post" action="/admin/login">
          <input type="hidden" name="next" value="${options.next}" />
          <label for="name">Your name</label>
          <input
            id="name"
            name="name"
            type="text"
            autocomplete="username"
            required
            maxlength="64"
            value="${options.name ?? ''}"
            autofocus
          />
          <label for="token">Admin token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required />
          <button type="submit">Sign in</button>
          ${options.error === undefined ? '' : html`<div class="error" role="alert">${options.error}</div>`}
        </form>
        <p class="sub">
          The value of ADMIN_TOKEN. Your name is recorded as the actor of every action you take. You stay signed in for
          ${SESSION_TTL_SECONDS / 3600} hours; scripts send <code>Authorization: Bearer …</code> instead.
        </p>
      </section>
    </main>`,
  );
}
