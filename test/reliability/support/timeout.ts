import { markScenarioStart } from './scenario';

// Fault scenarios restart servers and wait out timers: minutes, not seconds. A stuck one still fails.
jest.setTimeout(600_000);

beforeEach(markScenarioStart);
