/**
 * Crash points for the fault-injection suite (test/reliability). With FAILPOINT=<name>, the process kills itself with
 * SIGKILL when it reaches that point, as a power cut would; with FAILPOINT unset, a failpoint does nothing.
 */
export function failpoints(active: string | undefined): (name: string) => void {
  if (active === undefined || active === '') return () => undefined;
  return (name) => {
    if (name === active) process.kill(process.pid, 'SIGKILL');
  };
}
