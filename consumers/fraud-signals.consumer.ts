import { z } from 'zod';

import { refSchema } from '../src/contract/envelope';
import { on, type EventConsumer } from './consumer';

export const fraudDetectedData = z.object({ caseId: refSchema, score: z.number().min(0).max(1) });
export const fraudClearedData = z.object({ caseId: refSchema });

/** Fraud detection: a case at or above the score threshold adds to the fraud hold; clearing it removes it. */
export const fraudSignalsConsumer: EventConsumer = {
  name: 'fraud-signals',
  topic: 'TOPIC_FRAUD_SIGNALS',
  defaultTopic: 'fraud.signals.v1',
  events: {
    'fraud.detected': on(
      fraudDetectedData,
      'Fraud suspected: add the case to the fraud hold when score >= FRAUD_SCORE_THRESHOLD, else audit only.',
      (data) => ({
        type: 'fraud-detected',
        ...data,
      }),
    ),
    'fraud.cleared': on(fraudClearedData, 'A fraud case was cleared: remove it from the fraud hold.', (data) => ({
      type: 'fraud-cleared',
      caseId: data.caseId,
    })),
  },
};
