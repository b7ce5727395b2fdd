import { Command } from 'commander';
import { registerClusterCommands } from './cluster.js';
import { registerGenerateCommand } from './generate.js';

const program = new Command('tugboat').description('Tugboat: Kubernetes operators in TypeScript');
registerClusterCommands(program);
registerGenerateCommand(program);
await program.parseAsync(process.argv);
