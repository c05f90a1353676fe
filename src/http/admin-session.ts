import { createHmac, randomBytes } from 'node:crypto';

import type { FastifyRequest } from 'fastify';

import { tokenMatches } from './auth';

export const SESSION_COOKIE = 'be_admin';
export const SESSION_TTL_SECONDS = 12 * 3600;

const mac = (token: string, payload: string): string =>
  createHmac('sha256', token).update(`billing-enforcer admin session v1\n${payload}`).digest('base64url');

/**
 * A browser session for the admin pages, with no server-side state: a random id and an expiry, signed with an HMAC
 * keyed by ADMIN_TOKEN. The cookie never holds the token; rotating the token ends every session.
 */
export function issueSession(token: string, nowMs: number): string {
  const payload = `${randomBytes(18).toString('base64url')}.${Math.floor(nowMs / 1000) + SESSION_TTL_SECONDS}`;
  return `${payload}.${mac(token, payload)}`;
}

/** True for a session this token signed that has not expired; compared in constant time. */
export function sessionValid(value: string, token: string, nowMs: number): boolean {
  const match = /^([A-Za-z0-9_-]{24})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (match === null) return false;
  const [, id = '', expires = '', signature = ''] = match;
  const signed = tokenMatches(signature, mac(token, `${id}.${expires}`));
  return signed && Number(expires) * 1000 > nowMs;
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
