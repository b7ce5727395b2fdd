import { Command } from 'commander';
import { registerClusterCommands } from './cluster.js';

const program = new Command('tugboat').description('Tugboat: Kubernetes operators in TypeScript');
registerClusterCommands(program);
await program.parseAsync(process.argv);
