/** The one kafkajs internal we reach into (test/unit/kafka/request-queue-timer.test.ts, of our patch): its per-connection request queue, 2.2.4. */
declare module 'kafkajs/src/network/requestQueue' {
  export default class RequestQueue {
    throttledUntil: number;
    pending: unknown[];
    throttleCheckTimeoutId: NodeJS.Timeout | null;
    checkPendingRequests(): void;
    scheduleCheckPendingRequests(): void;
  }
}
