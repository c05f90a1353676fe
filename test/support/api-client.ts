export interface Answer<T> {
  readonly status: number;
  readonly body: T;
}

/** What every refusal looks like: `{error, message}`. */
export interface Problem {
  readonly error: string;
  readonly message: string;
}

export interface CallOptions {
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Sent as is, with `content-type: application/json` (for malformed JSON). */
  readonly raw?: string;
  /** Bearer token; the default one when absent, none when null. */
  readonly token?: string | null;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Call = <T = Problem>(method: string, path: string, options?: CallOptions) => Promise<Answer<T>>;

/** A small HTTP client for the worker's API; the caller names the answer's type. */
export function apiClient(baseUrl: string, defaultToken: string): Call {
  return async <T = Problem>(method: string, path: string, options: CallOptions = {}): Promise<Answer<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== null) headers.authorization = `Bearer ${options.token ?? defaultToken}`;
    const text = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (text !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(text === undefined ? {} : { body: text }) });
    return { status: response.status, body: (await response.json()) as T };
  };
}
