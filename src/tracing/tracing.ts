import { context, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * The worker's tracing: a tracer, or null when tracing is off. Off, callers skip every span and header: the hot path
 * allocates nothing for it (docs/operations.md, "Tracing").
 */
export interface Tracing {
  readonly tracer: Tracer | null;
  /** Ends export: flushes the spans still buffered. */
  shutdown(): Promise<void>;
}

export const noTracing: Tracing = { tracer: null, shutdown: () => Promise.resolve() };

export interface TracingSettings {
  readonly OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  readonly OTEL_SERVICE_NAME: string;
}

const TRACER_NAME = 'billing-enforcer';

/**
 * Active spans are found through the async context (the log lines' trace id, the lifecycle headers of a timer job's
 * commits). One context manager per process; a second tracing in the same process (tests) shares it.
 */
function ensureContextManager(): void {
  const manager = new AsyncLocalStorageContextManager();
  if (context.setGlobalContextManager(manager.enable())) return;
  manager.disable();
}

/** Tracing that hands finished spans to `processor`: the OTLP exporter in production, an in-memory one in tests. */
export function startTracing(serviceName: string, processor: SpanProcessor): Tracing {
  ensureContextManager();
  // The SDK also reads OTEL_TRACES_SAMPLER(_ARG) and the span limits from the environment; the default sampler
  // follows the inbound parent's sampled flag and samples every root span.
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [processor],
  });
  return { tracer: provider.getTracer(TRACER_NAME), shutdown: () => provider.shutdown() };
}

/** OTLP/HTTP export when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise no tracing at all. */
export function tracingFor(settings: TracingSettings): Tracing {
  const endpoint = settings.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint === undefined) return noTracing;
  // The generic endpoint names the collector; traces go to its /v1/traces (the OTLP exporter specification).
  const url = `${endpoint.replace(/\/+$/, '')}/v1/traces`;
  return startTracing(settings.OTEL_SERVICE_NAME, new BatchSpanProcessor(new OTLPTraceExporter({ url })));
}
