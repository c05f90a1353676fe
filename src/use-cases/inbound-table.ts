import type { EventConsumer, TopicSetting } from '../../consumers/consumer';
import { consumers } from '../../consumers/routes';
import type { Settings } from '../config/config';
import { parseDuration } from '../domain';
import type { DecoderOptions } from './decode-message';

/** The settings the inbound table is made of: each consumer's topic, and the decoder's limits. */
export const INBOUND_SETTINGS = [
  ...consumers.map((consumer): TopicSetting => consumer.topic),
  'MAX_MESSAGE_BYTES',
  'MAX_CLOCK_SKEW',
] as const satisfies readonly (keyof Settings)[];

export type InboundSettings = Pick<Settings, TopicSetting | 'MAX_MESSAGE_BYTES' | 'MAX_CLOCK_SKEW'>;

/** The worker's inbound topics and how it decodes them: built once from the settings, passed to whoever needs them. */
export interface InboundTable {
  /** Every inbound topic, in the routing table's order: what the runner subscribes to and the only topics a replay writes to. */
  readonly topics: readonly string[];
  readonly decoder: DecoderOptions;
}

/** The one place the routing table (consumers/routes.ts) meets the configured topic names and limits. */
export function inboundTable(settings: Readonly<InboundSettings>): InboundTable {
  const routes = new Map<string, EventConsumer>(consumers.map((consumer) => [settings[consumer.topic], consumer]));
  return Object.freeze({
    topics: Object.freeze([...routes.keys()]),
    decoder: Object.freeze({
      routes,
      maxMessageBytes: settings.MAX_MESSAGE_BYTES,
      maxClockSkewMs: parseDuration(settings.MAX_CLOCK_SKEW),
    }),
  });
}
