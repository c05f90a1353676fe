import { stackConnection } from './stack-env';

// The settings arrive through the environment the global setup set in jest's parent process; fail every test
// file with one clear message rather than with connection errors when they did not.
stackConnection();
