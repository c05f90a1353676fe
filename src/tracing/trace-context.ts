import { context, isSpanContextValid, trace, TraceFlags, type SpanContext } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';

/** W3C Trace Context header names (https://www.w3.org/TR/trace-context/). */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

/** The spec's own limit for tracestate; a traceparent of a future version may be longer than 55 characters, not this. */
const MAX_HEADER_CHARS = 512;
// version-traceid-parentid-flags; a future version may append fields after a '-', version 00 may not.
const TRACEPARENT_FORMAT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Something carried out on behalf of a span: a timer to schedule, a lifecycle event to publish. */
export type Traced<T> = T & { readonly traceparent?: string | undefined };

// A header's value may be null (written with a null value): never a traceparent.
type Headers = Readonly<Record<string, Buffer | string | null | (Buffer | string | null)[] | undefined>>;

/**
 * The text of one header, or undefined: absent, repeated (which of two to trust is ambiguous, so neither), too long,
 * or not valid UTF-8. Inbound headers come from any producer; nothing here may throw.
 */
export function headerText(headers: Headers, name: string): string | undefined {
  const raw = headers[name];
  if (raw === undefined || raw === null || Array.isArray(raw) || raw.length > MAX_HEADER_CHARS) return undefined;
  if (typeof raw === 'string') return raw;
  const text = raw.toString('utf8');
  return text.includes('\uFFFD') ? undefined : text;
}

/**
 * A remote span context from W3C header values, or null when the traceparent is absent or malformed (then the caller
 * starts a new root span). Strict: lowercase hex, no all-zero ids, version `ff` refused, version `00` exactly 55
 * characters. Only the sampled flag is taken; a tracestate is kept only when it parses (≤ 512 characters, ≤ 32 entries).
 */
export function parseTraceparent(traceparent: string | undefined, tracestate?: string): SpanContext | null {
  if (traceparent === undefined || traceparent.length > MAX_HEADER_CHARS) return null;
  const match = TRACEPARENT_FORMAT.exec(traceparent);
  if (match === null) return null;
  const [, version, traceId = '', spanId = '', flags = '00', rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  const context: SpanContext = {
    traceId,
    spanId,
    traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  if (!isSpanContextValid(context)) return null;
  if (tracestate === undefined || tracestate.length > MAX_HEADER_CHARS) return context;
  const state = new TraceState(tracestate);
  return state.serialize() === '' ? context : { ...context, traceState: state };
}

/** A Kafka message's remote parent, from its `traceparent` and `tracestate` headers; null when there is none usable. */
export function remoteParent(headers: Headers): SpanContext | null {
  return parseTraceparent(headerText(headers, TRACEPARENT), headerText(headers, TRACESTATE));
}

/** The `traceparent` value naming this span context as the parent (version 00). */
export function formatTraceparent(context: SpanContext): string {
  const flags = (context.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${context.traceId}-${context.spanId}-${flags}`;
}

/** The active span as a traceparent (a timer job's run, a slice), or undefined: none, or tracing off. */
export function activeTraceparent(): string | undefined {
  const active = trace.getSpanContext(context.active());
  return active === undefined || !isSpanContextValid(active) ? undefined : formatTraceparent(active);
}
