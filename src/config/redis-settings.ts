import type { Settings } from './config';

/** The settings that say how to reach Redis; every Redis client of the worker and the CLI takes them. */
export const REDIS_SETTINGS = [
  'REDIS_URL',
  'REDIS_TLS_CA_FILE',
  'REDIS_TLS_CERT_FILE',
  'REDIS_TLS_KEY_FILE',
  'REDIS_TLS_REJECT_UNAUTHORIZED',
] as const;

export type RedisSettings = Pick<Settings, (typeof REDIS_SETTINGS)[number]>;

/** Where REDIS_URL points: a TCP server (TLS with `rediss://`) or a unix socket, and the database to select. */
export type RedisEndpoint =
  | {
      readonly kind: 'tcp';
      readonly tls: boolean;
      readonly host: string;
      readonly port: number;
      readonly username?: string;
      readonly password?: string;
      readonly db: number;
    }
  | { readonly kind: 'socket'; readonly path: string; readonly db: number };

const FORMS = 'redis://[[user]:password@]host[:port][/db], rediss://… for TLS, or unix:///path/to/redis.sock[?db=N]';

// ioredis would take each query parameter as a client option (a string where it wants a number or an object), and
// other clients' spellings (ssl=true, ssl_cert_reqs, sentinel_master…) would change nothing: none is accepted.
const QUERY_PARAMETERS = new Set(['db']);

/** A percent-encoded part of the URL as text; undefined when a '%' starts no escape. */
function decoded(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** The database to select, from its text in the URL; undefined unless it is a number. */
function database(text: string): number | undefined {
  return /^\d{1,5}$/.test(text) ? Number(text) : undefined;
}

/**
 * REDIS_URL read the way every client of ours connects with it (src/queue/redis.ts), or the problems that would make
 * ioredis connect somewhere else, select another database, crash, or ignore a part of it. Never echoes a value.
 */
export function parseRedisUrl(
  text: string,
): { endpoint: RedisEndpoint; problems?: undefined } | { endpoint?: undefined; problems: string[] } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // A host list (`a:6379,b:6379`) is how Cluster and Sentinel seeds are usually written; new URL refuses it.
    const list = /^[a-z+-]+:\/\/[^/]*,/i.test(text) ? ' (a list of hosts: Redis Cluster and Sentinel are not supported)' : '';
    const escape = /[#?/]/.test(text.slice(text.indexOf('//') + 2))
      ? " (a password's '#', '?', '/' or '@' is written %23, %3F, %2F, %40)"
      : '';
    return { problems: [`not a URL${list}${escape}; expected ${FORMS}`] };
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme.includes('sentinel'))
    return { problems: ['Redis Sentinel is not supported: point REDIS_URL at the primary (redis:// or rediss://)'] };
  if (scheme !== 'redis' && scheme !== 'rediss' && scheme !== 'unix')
    return { problems: [`must be a redis:// or rediss:// URL, or unix:// for a socket (${FORMS})`] };

  const problems: string[] = [];
  if (url.hash !== '') problems.push("has a '#' fragment: a '#' in a password is written %23");
  const unknown = [...new Set(url.searchParams.keys())].filter((key) => !QUERY_PARAMETERS.has(key));
  if (unknown.length > 0)
    problems.push(
      `query parameters are not supported (${unknown.join(', ')}): TLS is rediss:// with the REDIS_TLS_* settings, the database is /N`,
    );
  const queryDb = url.searchParams.get('db');

  if (scheme === 'unix') {
    if (url.hostname !== '' || url.username !== '' || url.password !== '')
      problems.push('a unix:// URL names a socket only (unix:///path/to/redis.sock): no host, user or password');
    if (url.pathname === '' || url.pathname === '/') problems.push('names no socket: unix:///path/to/redis.sock');
    const db = database(queryDb ?? '0');
    if (db === undefined) problems.push('the database must be a number (unix:///path/to/redis.sock?db=2)');
    if (problems.length > 0 || db === undefined) return { problems };
    const path = decoded(url.pathname);
    if (path === undefined) return { problems: ["a '%' in the socket path is written %25"] };
    return { endpoint: { kind: 'socket', path, db } };
  }

  if (url.hostname === '') problems.push('names no host (for a unix socket, write unix:///path/to/redis.sock)');
  if (url.port === '0') problems.push('port 0 is not a port');
  const pathDb = url.pathname === '' || url.pathname === '/' ? undefined : url.pathname.slice(1);
  if (pathDb !== undefined && queryDb !== null) problems.push('names the database twice (/N and ?db=N): keep /N');
  const db = database(pathDb ?? queryDb ?? '0');
  if (db === undefined && url.hostname !== '') problems.push('the path is the database, a number (redis://host:6379/2), and nothing else');
  // ioredis would send `AUTH <user> ""`: almost always a password written where the user goes.
  if (url.username !== '' && url.password === '')
    problems.push('has a user but no password; a password alone is written redis://:password@host');
  const [username, password] = [decoded(url.username), decoded(url.password)];
  if (username === undefined || password === undefined) problems.push("a '%' in the user or password is written %25");
  if (problems.length > 0 || db === undefined || username === undefined || password === undefined) return { problems };
  return {
    endpoint: {
      kind: 'tcp',
      tls: scheme === 'rediss',
      // WHATWG URL keeps an IPv6 address's brackets; net.connect wants it bare.
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port === '' ? 6379 : Number(url.port),
      ...(username === '' ? {} : { username }),
      ...(password === '' ? {} : { password }),
      db,
    },
  };
}

/** The combinations the schema cannot see field by field; each problem names the variables, never a value. */
export function redisSettingsProblems(settings: RedisSettings): string[] {
  const parsed = parseRedisUrl(settings.REDIS_URL);
  if (parsed.problems !== undefined) return parsed.problems.map((problem) => `REDIS_URL: ${problem}`);
  const problems: string[] = [];
  const tlsSettings = [
    ...(['REDIS_TLS_CA_FILE', 'REDIS_TLS_CERT_FILE', 'REDIS_TLS_KEY_FILE'] as const).filter((key) => settings[key] !== undefined),
    ...(settings.REDIS_TLS_REJECT_UNAUTHORIZED ? [] : ['REDIS_TLS_REJECT_UNAUTHORIZED']),
  ];
  const tls = parsed.endpoint.kind === 'tcp' && parsed.endpoint.tls;
  if (!tls && tlsSettings.length > 0) problems.push(`${tlsSettings.join(', ')}: set, but REDIS_URL is not rediss:// (TLS needs rediss://)`);
  if ((settings.REDIS_TLS_CERT_FILE === undefined) !== (settings.REDIS_TLS_KEY_FILE === undefined))
    problems.push('REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE: a client certificate needs both');
  return problems;
}

/** A place to describe the server in messages and logs: never its credentials. */
export function describeEndpoint(endpoint: RedisEndpoint): string {
  if (endpoint.kind === 'socket') return `unix://${endpoint.path}?db=${endpoint.db}`;
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.tls ? 'rediss' : 'redis'}://${host}:${endpoint.port}/${endpoint.db}`;
}
