/** Node's socket and DNS error codes: the peer is not there (yet), whichever driver met it. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Whether `error` is a Node system error whose `code` says the network or the peer failed. */
export function isNetworkFault(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

/** What an error says, read without `instanceof`: Node's own errors may come from another realm (jest's VM does that). */
export interface ErrorFacts {
  readonly name: string;
  readonly message: string;
  readonly code: string;
  readonly cause: unknown;
}

function factsOf(error: unknown): ErrorFacts | undefined {
  if (typeof error !== 'object' || error === null || !('message' in error)) return undefined;
  const { name, message, code, cause } = error as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
  const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');
  return { name: text(name), message: text(message), code: text(code), cause };
}

/** `error` and its causes, outermost first (eight at most). */
export function causeChain(error: unknown): ErrorFacts[] {
  const chain: ErrorFacts[] = [];
  for (let facts = factsOf(error); facts !== undefined && chain.length < 8; facts = factsOf(facts.cause)) chain.push(facts);
  return chain;
}

// Node's codes for a server certificate that no trusted CA vouches for.
const UNTRUSTED_CERTIFICATE: ReadonlySet<unknown> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/** Whether a TLS error code says the server's certificate is not one a trusted CA vouches for (a CA file is missing). */
export function isUntrustedCertificate(code: unknown): boolean {
  return UNTRUSTED_CERTIFICATE.has(code);
}
