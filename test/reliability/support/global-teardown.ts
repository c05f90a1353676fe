import { stackDown } from '../../../tools/stack/stack';
import { reliabilityStack } from './reliability-stack';
import { recordFigures } from './scenario';
import { suiteSeconds } from './suite-clock';

export default async function globalTeardown(): Promise<void> {
  await stackDown(reliabilityStack());
  recordFigures('suite', { seconds: suiteSeconds() });
}
