import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { stackLayout } from '../tools/stack/layout';
import { runningPid } from '../tools/stack/processes';
import { pidFile } from '../tools/stack/service';
import { stackServices } from '../tools/stack/stack';

/** The processes whose CPU a variant is charged: its own children, and each server of the local stack. */
export const CPU_PROCESSES = ['variant', 'ferretdb', 'kafka', 'redis'] as const;
export type CpuProcess = (typeof CPU_PROCESSES)[number];
export type CpuSeconds = Readonly<Record<CpuProcess, number>>;

/**
 * utime + stime (all threads, in clock ticks) from one `/proc/<pid>/stat` line. The command name (field 2) is in
 * parentheses and may hold spaces or parentheses itself, so fields are counted from the last `)`.
 */
export function cpuTicks(statLine: string): number {
  const end = statLine.lastIndexOf(')');
  const fields = statLine
    .slice(end + 1)
    .trim()
    .split(/\s+/);
  // After the name: state is field 3, utime 14 and stime 15.
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (end === -1 || !Number.isInteger(utime) || !Number.isInteger(stime))
    throw new Error(`not a /proc/<pid>/stat line: ${statLine.slice(0, 80)}`);
  return utime + stime;
}

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (`getconf CLK_TCK`), which /proc's CPU times count in. */
function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  if (!Number.isInteger(ticksPerSecond) || ticksPerSecond <= 0) throw new Error(`getconf CLK_TCK gave ${ticksPerSecond}`);
  return ticksPerSecond;
}

function cpuSecondsOf(pid: number, name: string): number {
  let line: string;
  try {
    line = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    throw new Error(`${name} (pid ${pid}) cannot be read from /proc: ${String(error)}`, { cause: error });
  }
  return cpuTicks(line) / clockTicks();
}

type ServerPids = Readonly<Record<Exclude<CpuProcess, 'variant'>, number>>;

/**
 * The stack's server pids: from BENCH_STACK_PIDS (JSON, `{"ferretdb":…,"kafka":…,"redis":…}`, for servers the local
 * stack did not start, such as docker compose's MongoDB 7), else from the local stack's pid files under STACK_DIR (as
 * `npm run stack -- status` finds them). A server that cannot be found stops the bench: its CPU would read as zero.
 */
export function stackPids(given = process.env.BENCH_STACK_PIDS): ServerPids {
  const layout = stackLayout();
  const named = given === undefined ? undefined : (JSON.parse(given) as Partial<Record<string, unknown>>);
  const find = (name: Exclude<CpuProcess, 'variant'>): number => {
    const service = stackServices.find((candidate) => candidate.name === name);
    const pid =
      named !== undefined ? named[name] : service === undefined ? undefined : runningPid(pidFile(layout, service), service.marker);
    if (typeof pid !== 'number' || !fs.existsSync(`/proc/${pid}/stat`))
      throw new Error(
        named !== undefined
          ? `BENCH_STACK_PIDS names no running ${name} (${JSON.stringify(named[name])})`
          : `no running ${name} found from ${path.join(layout.root, `${name}.pid`)}: the bench charges each stack server's CPU, so it needs the local stack (npm run stack -- up; STACK_DIR if it lives elsewhere) or BENCH_STACK_PIDS`,
      );
    return pid;
  };
  return { ferretdb: find('ferretdb'), kafka: find('kafka'), redis: find('redis') };
}

/** CPU seconds used so far by the variant's children (summed) and by each stack server. */
export function sampleCpu(children: readonly number[], stack: ServerPids): CpuSeconds {
  return {
    variant: children.reduce((total, pid) => total + cpuSecondsOf(pid, 'variant process'), 0),
    ferretdb: cpuSecondsOf(stack.ferretdb, 'ferretdb'),
    kafka: cpuSecondsOf(stack.kafka, 'kafka'),
    redis: cpuSecondsOf(stack.redis, 'redis'),
  };
}

/**
 * Each stack server's CPU seconds per second over `ms` with no variant running: what other clients of a shared stack
 * (and the servers' own housekeeping) add to a variant's figures, per second of its window.
 */
export async function idleCpu(stack: ServerPids, ms = 2_000): Promise<CpuSeconds> {
  const start = sampleCpu([], stack);
  const begun = Date.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return cpuUsedPer(start, sampleCpu([], stack), (Date.now() - begun) / 1000);
}

/** CPU seconds per event (or per second, given seconds) between two samples; a negative difference means a process was replaced in between. */
export function cpuUsedPer(start: CpuSeconds, end: CpuSeconds, units: number): CpuSeconds {
  const per = (name: CpuProcess): number => {
    const used = end[name] - start[name];
    if (used < 0) throw new Error(`${name} used ${used.toFixed(2)} s of CPU: it was restarted during the variant`);
    return used / (units > 0 ? units : 1);
  };
  return { variant: per('variant'), ferretdb: per('ferretdb'), kafka: per('kafka'), redis: per('redis') };
}
