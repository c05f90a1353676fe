import fs from 'node:fs';

import { cpuTicks, cpuUsedPer, stackPids } from '../../../bench/process-cpu';

/** A /proc/<pid>/stat line with the given name, utime (field 14) and stime (field 15). */
const statLine = (name: string, utime: number, stime: number) =>
  `4242 (${name}) S 1 4242 4242 0 -1 4194560 9518 0 0 0 ${utime} ${stime} 3 4 20 0 11 0 12345 1073741824 30000 18446744073709551615`;

describe('CPU time from /proc', () => {
  it('adds utime and stime of a stat line', () => {
    expect(cpuTicks(statLine('node', 150, 50))).toBe(200);
  });

  it('counts fields from the last parenthesis, whatever the process name holds', () => {
    expect(cpuTicks(statLine('tsx (worker) 1 2 3', 7, 5))).toBe(12);
  });

  it('refuses what is not a stat line rather than reading zero', () => {
    expect(() => cpuTicks('')).toThrow(/not a \/proc/);
    expect(() => cpuTicks('4242 (node) S 1 2')).toThrow(/not a \/proc/);
  });

  it('reads this process’s own line', () => {
    expect(Number.isInteger(cpuTicks(fs.readFileSync('/proc/self/stat', 'utf8')))).toBe(true);
  });

  it('divides what each process used between two samples by the events', () => {
    const start = { variant: 1, ferretdb: 10, kafka: 100, redis: 0.5 };
    const end = { variant: 3, ferretdb: 14, kafka: 101, redis: 0.5 };
    expect(cpuUsedPer(start, end, 1000)).toEqual({ variant: 0.002, ferretdb: 0.004, kafka: 0.001, redis: 0 });
  });

  it('fails when a process used less than nothing: it was replaced in between', () => {
    const start = { variant: 1, ferretdb: 10, kafka: 100, redis: 1 };
    expect(() => cpuUsedPer(start, { ...start, ferretdb: 2 }, 10)).toThrow(/ferretdb.*restarted/);
  });
});

describe('the stack servers to charge', () => {
  it('takes pids that BENCH_STACK_PIDS names when they run', () => {
    const own = { ferretdb: process.pid, kafka: process.pid, redis: process.pid };
    expect(stackPids(JSON.stringify(own))).toEqual(own);
  });

  it('stops on a server it cannot find instead of charging it nothing', () => {
    expect(() => stackPids(JSON.stringify({ ferretdb: process.pid, kafka: process.pid }))).toThrow(/no running redis/);
    expect(() => stackPids(JSON.stringify({ ferretdb: 2 ** 30, kafka: process.pid, redis: process.pid }))).toThrow(/no running ferretdb/);
  });
});
