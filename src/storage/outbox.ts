import type { AuditRecord, Effect } from '../domain';

/** An effect written with the state that caused it, carried out after the write and then cleared. Ids are deterministic, so a retry repeats, never duplicates. */
export type OutboxEntry = { readonly id: string } & (
  | {
      readonly kind: 'effect';
      readonly effect: Effect;
      /** The span that caused it (W3C traceparent), stored with it so a later carrier (the sweeper) still links it. */
      readonly traceparent?: string;
    }
  | { readonly kind: 'audit'; readonly record: AuditRecord }
);
