// The real container registry (distribution v3, built by `tools/build.sh registry`) serving a
// caller-supplied config.yml on a free loopback port. Tests hand it the config a renderer
// produced, so a passing push/pull proves that config works, not just that it parses.
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir, versions } from './binaries.js';
import { freePort } from './ports.js';
import { startProcess, waitFor, type ManagedProcess } from './process.js';
import { releaseService, startReaper } from './reaper.js';

export interface RegistryServer {
  /** The server's temp directory (data, config, log); removed by stop(). */
  dir: string;
  /** Base URL, e.g. http://127.0.0.1:5123 (the API is under /v2/). */
  url: string;
  port: number;
  /** The registry's log, for assertions and for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /**
   * Extra environment, e.g. REGISTRY_HTTP_SECRET or REGISTRY_STORAGE_S3_SECRETKEY: the registry
   * reads `REGISTRY_<PATH>` variables as overrides of config keys, which is how Harbor keeps
   * secrets out of the ConfigMap.
   */
  env?: Record<string, string>;
  /**
   * Files the config refers to (e.g. an htpasswd file), written beside it. The config and the
   * env values may say `{{dir}}` for that directory.
   */
  files?: Record<string, string>;
}

export function registryBinary(): string {
  return join(cacheDir(), 'bin', `registry-${versions.registry}`, 'registry');
}

function getStatus(url: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request(url, { timeout: 2000 }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end();
  });
}

export async function startRegistry(configYaml: string, opts: RegistryOptions = {}): Promise<RegistryServer> {
  const bin = registryBinary();
  if (!existsSync(bin)) throw new Error(`${bin} not found: build it with \`tools/build.sh registry\``);
  const root = await mkdtemp(join(tmpdir(), 'tugboat-registry-'));
  const reaper = startReaper(join(root, 'reaper.json'));
  reaper.update([], [root]);
  let proc: ManagedProcess | undefined;
  try {
    for (const [name, content] of Object.entries(opts.files ?? {})) {
      await writeFile(join(root, name), content, { mode: 0o600 });
    }
    const configPath = join(root, 'config.yml');
    await writeFile(configPath, configYaml.replaceAll('{{dir}}', root), { mode: 0o600 });
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const debugPort = await freePort();
      proc = startProcess({
        name: 'registry',
        command: bin,
        args: ['serve', configPath],
        logFile: join(root, 'registry.log'),
        cwd: root,
        // The listen addresses are overridden so any rendered config (which says :5000, as in
        // a pod) can run side by side with others on one machine.
        env: {
          ...Object.fromEntries(Object.entries(opts.env ?? {}).map(([k, v]) => [k, v.replaceAll('{{dir}}', root)])),
          REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
          REGISTRY_HTTP_DEBUG_ADDR: `127.0.0.1:${debugPort}`,
          OTEL_TRACES_EXPORTER: 'none',
        },
      });
      reaper.update([proc.pid], [root]);
      try {
        await waitFor(`registry on 127.0.0.1:${port}`, async () => (await getStatus(`http://127.0.0.1:${port}/`)) === 200, {
          process: proc,
          timeoutMs: 30_000,
        });
      } catch (e) {
        await proc.stop(1000);
        if (attempt < 2 && /address already in use/.test(proc.tail())) continue;
        throw e;
      }
      const server = proc;
      return {
        url: `http://127.0.0.1:${port}`,
        port,
        dir: root,
        log: () => server.tail(200),
        async stop() {
          await releaseService(server, root, reaper, 3000);
        },
      };
    }
  } catch (e) {
    await releaseService(proc, root, reaper);
    throw e;
  }
}
