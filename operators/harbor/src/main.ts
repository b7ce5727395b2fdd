// The Harbor operator process:
//   node --import tsx operators/harbor/src/main.ts [flags]      (--help lists them)
// In a cluster it needs no flags (in-cluster config, Lease in its own namespace, webhook served
// through its Service); on a workstation or in the demo it runs against a kubeconfig, with the
// apiserver calling the webhook at a loopback URL. Stops cleanly on SIGTERM/SIGINT; exits
// non-zero if it loses its Lease, so a supervisor restarts it.
import { optionsFromArgs, usage } from './flags.js';
import { startHarborOperator, type HarborOperatorOptions } from './operator.js';

async function main(): Promise<void> {
  let opts: HarborOperatorOptions | 'help';
  try {
    opts = optionsFromArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n\n${usage}`);
    process.exitCode = 2;
    return;
  }
  if (opts === 'help') {
    process.stdout.write(usage);
    return;
  }
  const op = await startHarborOperator(opts);
  op.manager.log.info('harbor operator started', {
    identity: op.manager.identity,
    health: op.manager.healthUrl,
    metrics: op.manager.metricsUrl,
    webhookPort: op.webhook?.port,
  });
  await op.done;
  await op.webhook?.stop();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
