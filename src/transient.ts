import { isAppError } from './errors';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const MONGO_TRANSIENT =
  /^Mongo(Network|NetworkTimeout|ServerSelection|NotConnected|TopologyClosed|PoolCleared|ServerClosed|ExpiredSession)Error$/;

/** Is this a fault of a service we depend on (retry later) rather than of the input or our code? */
export function isTransient(error: unknown): boolean {
  if (isAppError(error)) return error.retriable;
  if (!(error instanceof Error)) return false;
  const { name, message } = error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (MONGO_TRANSIENT.test(name)) return true;
  const labels = (error as { errorLabels?: unknown }).errorLabels;
  if (Array.isArray(labels) && labels.some((label) => label === 'RetryableWriteError' || label === 'TransientTransactionError'))
    return true;
  if (name.startsWith('KafkaJS'))
    return (error as { retriable?: unknown }).retriable !== false || name === 'KafkaJSNumberOfRetriesExceeded';
  if (name === 'MaxRetriesPerRequestError' || /Connection is closed|connect ECONNREFUSED|Stream isn't writeable/.test(message)) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isTransient(cause);
}
