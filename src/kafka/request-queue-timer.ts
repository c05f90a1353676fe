import RequestQueue from 'kafkajs/src/network/requestQueue';
import kafkajsPackage from 'kafkajs/package.json';

/** kafkajs's own pause between two looks at requests held back by throttling or the in-flight limit. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/**
 * kafkajs 2.2.4 arms a timer for held-back requests after every response, also when none is held back and the broker
 * never throttled: `throttledUntil` starts at -1, so the delay is -1 - Date.now(). Node 24 warns about it
 * (TimeoutNegativeWarning) and runs it after 1 ms, which arms it again: a 1 ms loop per idle connection
 * (tulios/kafkajs#1751, #1704; kafkajs is in maintenance mode). This arms it only when a request waits or a throttle
 * runs, as kafkajs's fix proposed upstream does. Idempotent; leaves any other kafkajs version alone.
 * Returns whether kafkajs now schedules this way.
 */
export function fixRequestQueueTimer(): boolean {
  const queue = RequestQueue.prototype;
  if (queue.scheduleCheckPendingRequests === scheduleCheckPendingRequests) return true;
  if (kafkajsPackage.version !== '2.2.4') return false;
  queue.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  return true;
}

function scheduleCheckPendingRequests(this: RequestQueue): void {
  if (this.throttleCheckTimeoutId) return;
  const throttledForMs = this.throttledUntil - Date.now();
  if (this.pending.length === 0 && throttledForMs <= 0) return;
  const delayMs = this.pending.length > 0 && throttledForMs <= 0 ? CHECK_PENDING_REQUESTS_INTERVAL_MS : throttledForMs;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delayMs);
}
