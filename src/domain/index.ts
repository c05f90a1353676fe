export * from './command';
export * from './decide';
export * from './decision';
export * from './deletion';
export * from './duration';
export * from './effect';
export * from './policy';
export * from './subscription';
