import type { Hold, HoldReason, Millis } from './subscription';

/** Adds `ref` to the hold for `reason`, creating the hold if there is none. */
export function addRef(holds: readonly Hold[], reason: HoldReason, ref: string | undefined, now: Millis): readonly Hold[] {
  const existing = holds.find((hold) => hold.reason === reason);
  if (existing === undefined) return [...holds, { reason, since: now, refs: ref === undefined ? [] : [ref] }];
  if (ref === undefined || existing.refs.includes(ref)) return holds;
  return holds.map((hold) => (hold === existing ? { ...hold, refs: [...hold.refs, ref] } : hold));
}

/** Removes `ref`; the hold lifts when its last ref goes. */
export function removeRef(holds: readonly Hold[], reason: HoldReason, ref: string): readonly Hold[] {
  const existing = holds.find((hold) => hold.reason === reason);
  if (existing?.refs.includes(ref) !== true) return holds;
  const refs = existing.refs.filter((r) => r !== ref);
  if (refs.length === 0) return liftHold(holds, reason);
  return holds.map((hold) => (hold === existing ? { ...hold, refs } : hold));
}

export function liftHold(holds: readonly Hold[], reason: HoldReason): readonly Hold[] {
  return holds.some((hold) => hold.reason === reason) ? holds.filter((hold) => hold.reason !== reason) : holds;
}

export function reasonsOf(holds: readonly Hold[]): ReadonlySet<HoldReason> {
  return new Set(holds.map((hold) => hold.reason));
}
