import { stackDown } from '../../../src/stack/stack';
import { reliabilityStack } from './reliability-stack';

export default async function globalTeardown(): Promise<void> {
  await stackDown(reliabilityStack());
}
