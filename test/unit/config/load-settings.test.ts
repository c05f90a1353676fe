import { loadSettings } from '../../../src/config/config';
import { AppError } from '../../../src/errors';

describe('loadSettings', () => {
  it('parses only the named settings, with their defaults, and ignores the rest', () => {
    const settings = loadSettings(['MONGODB_URI', 'TIMER_QUEUE', 'DELETION_REMINDERS'], {
      MONGODB_URI: 'mongodb://h/db',
      KAFKA_BROKERS: 'not a broker list',
    });
    expect(settings).toEqual({ MONGODB_URI: 'mongodb://h/db', TIMER_QUEUE: 'timers', DELETION_REMINDERS: ['P30D', 'P7D', 'P1D'] });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it('names a missing variable as not set, and an invalid one by its rule, never echoing a value', () => {
    const attempt = () => loadSettings(['MONGODB_URI', 'REDIS_URL'], { REDIS_URL: 'http://user:secret@h' });
    expect(attempt).toThrow(AppError);
    try {
      attempt();
    } catch (error) {
      expect((error as AppError).code).toBe('CONFIG_INVALID');
      expect((error as AppError).message).toContain('MONGODB_URI: required, but not set');
      expect((error as AppError).message).toContain('REDIS_URL: must be a redis:// or rediss:// URL, or unix:// for a socket');
      expect((error as AppError).message).not.toContain('secret');
    }
  });
});
