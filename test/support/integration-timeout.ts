// Integration tests wait on real brokers and timers; a stuck one should fail, not hang, but not at jest's 5 s default.
jest.setTimeout(120_000);
