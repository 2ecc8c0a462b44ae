#!/usr/bin/env node
import { Command } from 'commander';
import { registerPublish } from './publish.js';
import { registerServe } from './serve.js';
import { registerTail } from './tail.js';
import { registerTransfer } from './transfer/commands.js';

const program = new Command();
program.name('herold').description('Herold event notification hub').version('0.1.0');
registerServe(program);
registerPublish(program);
registerTail(program);
registerTransfer(program);
await program.parseAsync(process.argv);
