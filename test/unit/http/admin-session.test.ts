import { issueSession, SESSION_TTL_SECONDS, sessionValid } from '../../../src/http/admin-session';

const TOKEN = 'admin-token-0123456789';
const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('admin session cookie', () => {
  it('is valid for the token that signed it until it expires, and never holds the token', () => {
    const session = issueSession(TOKEN, NOW);
    expect(session).not.toContain(TOKEN);
    expect(sessionValid(session, TOKEN, NOW)).toBe(true);
    expect(sessionValid(session, TOKEN, NOW + SESSION_TTL_SECONDS * 1000 - 1000)).toBe(true);
    expect(sessionValid(session, TOKEN, NOW + SESSION_TTL_SECONDS * 1000)).toBe(false);
  });

  it('is refused when signed with another token, tampered with, or malformed', () => {
    const session = issueSession(TOKEN, NOW);
    const [id, expires, signature] = session.split('.') as [string, string, string];
    expect(sessionValid(session, 'another-token-0123456789', NOW)).toBe(false);
    expect(sessionValid(`${id}.${Number(expires) + 3600}.${signature}`, TOKEN, NOW)).toBe(false);
    expect(sessionValid(`${id.replace(/^./, id.startsWith('A') ? 'B' : 'A')}.${expires}.${signature}`, TOKEN, NOW)).toBe(false);
    for (const bad of ['', TOKEN, `${id}.${expires}`, `${session}.x`]) expect(sessionValid(bad, TOKEN, NOW)).toBe(false);
  });

  it('gives each sign-in a session of its own', () => {
    expect(issueSession(TOKEN, NOW)).not.toBe(issueSession(TOKEN, NOW));
  });
});
