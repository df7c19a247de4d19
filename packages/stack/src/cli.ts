#!/usr/bin/env -S npx tsx
import { Command } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { checkSchemas, registerSchemas } from './schemas.js';
import { prepareStack, stackDown, stackEndpoints, stackStatus, stackUp } from './stack.js';
import { applyTopics, loadTopics } from './topics.js';

const log = (line: string) => console.log(line);

const program = new Command('tally').description('Operate Tally: the local stack, topics and schemas.').showHelpAfterError();

const stack = program.command('stack').description('the local stack: Kafka (KRaft), the schema registry, and the machine’s Redis and Postgres');
stack
  .command('prepare')
  .description('resolve the Kafka and schema-registry jars from Maven Central (skipped when already built)')
  .action(() => {
    prepareStack(log);
  });
stack
  .command('up')
  .description('start Kafka and the schema registry if not running, check Redis and Postgres, apply topics and schemas')
  .action(async () => {
    await stackUp(log);
    const e = stackEndpoints();
    log(`\nstack is up. KAFKA_BROKERS=${e.brokers.join(',')} SCHEMA_REGISTRY_URL=${e.registryUrl}`);
  });
stack
  .command('status')
  .description('report each component; exit 1 if any is down')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const status = await stackStatus();
    if (options.json) console.log(JSON.stringify(status, null, 2));
    else for (const s of status) log(`${s.name.padEnd(16)} ${s.up ? 'up  ' : 'DOWN'}  ${s.detail}`);
    if (status.some((s) => !s.up)) process.exitCode = 1;
  });
stack
  .command('down')
  .description('stop the registry and Kafka (data is kept in .stack/); Redis and Postgres are left running')
  .action(async () => {
    await stackDown(log);
  });

const topics = program.command('topics').description('the topics declared in deploy/topics.yaml');
topics
  .command('apply')
  .description('create missing topics, grow partitions, align configs (never deletes)')
  .action(async () => {
    const admin = new Kafka({ brokers: stackEndpoints().brokers, clientId: 'tally-cli', logLevel: logLevel.ERROR }).admin();
    await admin.connect();
    try {
      for (const c of await applyTopics(admin, loadTopics())) log(`${c.topic}: ${c.action}${c.detail ? ` (${c.detail})` : ''}`);
    } finally {
      await admin.disconnect();
    }
  });
topics
  .command('list')
  .description('print the declared topics')
  .action(() => {
    for (const t of loadTopics().topics) log(`${t.name.padEnd(32)} ${String(t.partitions).padStart(3)} partitions  ${t.cleanupPolicy.padEnd(8)} ${t.retention.padEnd(8)} ${t.valueSchema ?? ''}`);
  });

const schemaCommand = program.command('schemas').description('the Avro schemas of schemas/ in the schema registry');
schemaCommand
  .command('register')
  .description('register every topic value schema under BACKWARD compatibility')
  .action(async () => {
    for (const r of await registerSchemas(stackEndpoints().registryUrl, loadTopics())) log(`${r.subject}: ${r.schema} id ${r.id}`);
  });
schemaCommand
  .command('check')
  .description('fail (exit 1) if any schema in schemas/ is incompatible with what the registry holds')
  .action(async () => {
    const results = await checkSchemas(stackEndpoints().registryUrl, loadTopics());
    for (const r of results) log(`${r.subject}: ${r.compatible ? 'compatible' : `INCOMPATIBLE ${r.messages.join('; ')}`}`);
    if (results.some((r) => !r.compatible)) process.exitCode = 1;
  });

program.parseAsync().catch((error: unknown) => {
  console.error(`tally: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
