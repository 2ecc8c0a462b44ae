#!/usr/bin/env node
import { Command } from 'commander';
import { registerGrants, registerKeys, registerPublishers, registerRequests } from './admin/access.js';
import { registerAudit } from './admin/audit.js';
import { registerLists } from './admin/lists.js';
import { registerSubscriptions } from './admin/subscriptions.js';
import { registerCompletion } from './completion.js';
import { registerPublish } from './publish.js';
import { registerReplay } from './replay.js';
import { registerServe } from './serve.js';
import { registerTail } from './tail.js';
import { registerTransfer } from './transfer/commands.js';

const program = new Command();
program.name('herold').description('Herold event notification hub').version('0.1.0');
registerServe(program);
registerPublish(program);
registerTail(program);
registerReplay(program);
registerLists(program);
registerSubscriptions(program);
registerGrants(program);
registerRequests(program);
registerKeys(program);
registerPublishers(program);
registerAudit(program);
registerTransfer(program);
registerCompletion(program);
await program.parseAsync(process.argv);
