import type { z } from 'zod';

import type { Instruction } from '../src/domain';

/** Topics are named by configuration; a consumer names the setting that holds its topic. */
export type TopicSetting = 'TOPIC_BILLING_PAYMENTS' | 'TOPIC_FRAUD_SIGNALS' | 'TOPIC_CUSTOMER_REQUESTS';

export interface EventHandler<S extends z.ZodType = z.ZodType> {
  readonly data: S;
  readonly description: string;
  readonly toInstruction: (data: z.infer<S>) => Instruction;
}

/** One event source: its topic and, per event type, the data schema and the instruction it becomes. */
export interface EventConsumer {
  readonly name: string;
  readonly topic: TopicSetting;
  readonly defaultTopic: string;
  readonly events: Readonly<Record<string, EventHandler>>;
}

/** Keeps each handler's data type tied to its schema while the table stays uniform. */
export function on<S extends z.ZodType>(data: S, description: string, toInstruction: (data: z.infer<S>) => Instruction): EventHandler {
  return { data, description, toInstruction: toInstruction as (data: unknown) => Instruction };
}
