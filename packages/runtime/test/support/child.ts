// A test fixture run as a separate node process that reports what happens to it as JSON lines
// on stdout: leader-election and webhook HA tests need real processes they can SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Child<E> {
  proc: ChildProcess;
  events: E[];
  exited: Promise<number | null>;
}

export function startJsonLinesChild<E>(script: string, args: string[]): Child<E> {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const events: E[] = [];
  if (proc.stdout) {
    createInterface({ input: proc.stdout }).on('line', (line) => {
      try {
        events.push(JSON.parse(line) as E);
      } catch {
        // not one of ours
      }
    });
  }
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, events, exited };
}
