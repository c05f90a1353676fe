import { createHmac, randomBytes } from 'node:crypto';

import type { FastifyRequest } from 'fastify';

import { tokenMatches } from './auth';

export const SESSION_COOKIE = 'be_admin';
export const SESSION_TTL_SECONDS = 12 * 3600;

const mac = (token: string, payload: string): string =>
  createHmac('sha256', token).update(`billing-enforcer admin session v2\n${payload}`).digest('base64url');

/** A signed-in browser: who said they are at the keyboard (the audit trail's actor) and until when. */
export interface AdminSession {
  readonly id: string;
  /** The name given at sign-in; every action taken in this session is recorded under it. */
  readonly name: string;
  readonly expiresAt: number;
}

/**
 * A browser session for the admin pages, with no server-side state: a random id, an expiry and the operator's name,
 * signed with an HMAC keyed by ADMIN_TOKEN. The cookie never holds the token; rotating the token ends every session.
 */
export function issueSession(token: string, nowMs: number, name = 'operator'): string {
  const encoded = Buffer.from(name, 'utf8').toString('base64url');
  const payload = `${randomBytes(18).toString('base64url')}.${Math.floor(nowMs / 1000) + SESSION_TTL_SECONDS}.${encoded}`;
  return `${payload}.${mac(token, payload)}`;
}

/** The session a cookie value holds, if this token signed it and it has not expired; compared in constant time. */
export function readSession(value: string, token: string, nowMs: number): AdminSession | null {
  const match = /^([A-Za-z0-9_-]{24})\.(\d{1,12})\.([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (match === null) return null;
  const [, id = '', expires = '', name = '', signature = ''] = match;
  if (!tokenMatches(signature, mac(token, `${id}.${expires}.${name}`))) return null;
  const expiresAt = Number(expires) * 1000;
  if (expiresAt <= nowMs) return null;
  return { id, name: Buffer.from(name, 'base64url').toString('utf8'), expiresAt };
}

/** True for a session this token signed that has not expired. */
export function sessionValid(value: string, token: string, nowMs: number): boolean {
  return readSession(value, token, nowMs) !== null;
}

/**
 * The session's anti-forgery token, sent in every state-changing form: derived from the session id with the admin
 * token, so it needs no storage, differs per session and cannot be computed by a page that cannot read ours.
 */
export function csrfToken(session: AdminSession, token: string): string {
  return createHmac('sha256', token).update(`billing-enforcer csrf v1\n${session.id}`).digest('base64url');
}

export function csrfMatches(presented: string, session: AdminSession, token: string): boolean {
  return tokenMatches(presented, csrfToken(session, token));
}

export function cookieValue(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}

/** Secure when the browser reached us over TLS, directly or through a proxy that says so (it only makes the cookie stricter). */
export function sessionCookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const forwarded = request.headers['x-forwarded-proto'];
  const https = request.protocol === 'https' || (typeof forwarded === 'string' && forwarded.split(',')[0]?.trim() === 'https');
  return `${SESSION_COOKIE}=${value}; Path=/admin; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${https ? '; Secure' : ''}`;
}
