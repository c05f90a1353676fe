import { csrfMatches, csrfToken, issueSession, readSession, SESSION_TTL_SECONDS, sessionValid } from '../../../src/http/admin-session';

const TOKEN = 'admin-token-0123456789';
const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('admin session cookie', () => {
  it('is valid for the token that signed it until it expires, and never holds the token', () => {
    const session = issueSession(TOKEN, NOW, 'Ada');
    expect(session).not.toContain(TOKEN);
    expect(sessionValid(session, TOKEN, NOW)).toBe(true);
    expect(sessionValid(session, TOKEN, NOW + SESSION_TTL_SECONDS * 1000 - 1000)).toBe(true);
    expect(sessionValid(session, TOKEN, NOW + SESSION_TTL_SECONDS * 1000)).toBe(false);
  });

  it('carries the name given at sign-in, which cannot be changed without the token', () => {
    const session = issueSession(TOKEN, NOW, 'Ada Lovelace ✓');
    expect(readSession(session, TOKEN, NOW)?.name).toBe('Ada Lovelace ✓');
    const [id, expires, , signature] = session.split('.') as [string, string, string, string];
    const other = Buffer.from('Mallory').toString('base64url');
    expect(readSession(`${id}.${expires}.${other}.${signature}`, TOKEN, NOW)).toBeNull();
  });

  it('is refused when signed with another token, tampered with, or malformed', () => {
    const session = issueSession(TOKEN, NOW);
    const [id, expires, name, signature] = session.split('.') as [string, string, string, string];
    expect(sessionValid(session, 'another-token-0123456789', NOW)).toBe(false);
    expect(sessionValid(`${id}.${Number(expires) + 3600}.${name}.${signature}`, TOKEN, NOW)).toBe(false);
    expect(sessionValid(`${id.replace(/^./, id.startsWith('A') ? 'B' : 'A')}.${expires}.${name}.${signature}`, TOKEN, NOW)).toBe(false);
    for (const bad of ['', TOKEN, `${id}.${expires}`, `${session}.x`]) expect(sessionValid(bad, TOKEN, NOW)).toBe(false);
  });

  it('gives each sign-in a session of its own, with a CSRF token of its own', () => {
    const first = readSession(issueSession(TOKEN, NOW), TOKEN, NOW);
    const second = readSession(issueSession(TOKEN, NOW), TOKEN, NOW);
    if (first === null || second === null) throw new Error('sessions should be valid');
    expect(first.id).not.toBe(second.id);
    expect(csrfMatches(csrfToken(first, TOKEN), first, TOKEN)).toBe(true);
    expect(csrfMatches(csrfToken(second, TOKEN), first, TOKEN)).toBe(false);
    expect(csrfMatches(csrfToken(first, 'another-token-0123456789'), first, TOKEN)).toBe(false);
  });
});
