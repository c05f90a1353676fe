import { AppError, type ErrorCode } from '../errors';
import { CliError } from './exit-codes';

/** The error code an API answer stands for: its exit status is then the table's, as with direct store access. */
const CODE_OF_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'USAGE',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'REFUSED',
  // Only the failed-authentication limit answers the API's routes 429: the token is wrong.
  429: 'TOO_MANY_AUTH_FAILURES',
};

function codeOfStatus(status: number): ErrorCode {
  return CODE_OF_STATUS[status] ?? (status >= 500 ? 'DEPENDENCY_UNAVAILABLE' : 'INTERNAL');
}

export type Query = Readonly<Record<string, string | number | undefined>>;

/**
 * The worker's HTTP API, for commands run with `--api`: no database, Redis or Kafka credentials, only the API's URL and
 * a token. Answers are JSON; a refusal becomes a CliError with the API's own message and the matching exit code.
 */
export class ApiClient {
  private readonly base: URL;

  constructor(
    baseUrl: string,
    private readonly token: string,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly timeoutMs = 30_000,
  ) {
    try {
      this.base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    } catch {
      throw new CliError('usage', `--api: ${baseUrl} is not a URL (e.g. https://billing-enforcer.internal:8080)`);
    }
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') throw new CliError('usage', '--api: must be an http(s) URL');
  }

  async get<T>(path: string, query: Query = {}): Promise<T> {
    return await this.send<T>('GET', path, query);
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return await this.send<T>('POST', path, {}, body);
  }

  async delete<T>(path: string, body: unknown): Promise<T> {
    return await this.send<T>('DELETE', path, {}, body);
  }

  private async send<T>(method: string, path: string, query: Query, body?: unknown): Promise<T> {
    const url = new URL(path.replace(/^\//, ''), this.base);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new CliError(
        'unavailable',
        `the API at ${this.base.origin} did not answer: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      throw new CliError('failure', `the API answered ${response.status} with something other than JSON`);
    }
    if (!response.ok) {
      const message = (parsed as { message?: unknown } | null)?.message;
      const hint = [401, 403, 429].includes(response.status) ? ' (check --token or BILLING_ENFORCER_API_TOKEN)' : '';
      throw new AppError(
        codeOfStatus(response.status),
        `${method} ${url.pathname}: ${response.status} ${typeof message === 'string' ? message : response.statusText}${hint}`,
        { context: { status: response.status } },
      );
    }
    return parsed as T;
  }
}
