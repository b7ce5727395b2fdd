// One command to an HAProxy CLI socket (the runtime API of a worker, or the master CLI), in
// non-interactive mode: write the command line, read until HAProxy closes the connection.
import { createConnection } from 'node:net';

export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** Sends `command` (several may be joined with ';') and returns the whole answer. */
export function cliCommand(socketPath: string, command: string, timeoutMs = 10_000): Promise<string> {
  if (command.includes('\n')) return Promise.reject(new CliError('a CLI command must be one line'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = createConnection({ path: socketPath });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CliError(`no answer from ${socketPath} within ${timeoutMs}ms to "${command}"`));
    }, timeoutMs);
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(new CliError(`${socketPath}: ${err.message}`));
    });
    socket.on('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
