import { parseArgs } from 'node:util';
import { backupDatabase } from './backup';

const USAGE = `usage: npm run backup -- --to FILE [--data DIR] [--force]

  --to FILE     the backup file to write (refused if it exists, unless --force)
  --data DIR    the server's data directory (default ./data); the server may be running
  --force       overwrite FILE

Restore: see docs/DEPLOY.md.`;

/** A mistake in the command line: answered with the usage text. */
class UsageError extends Error {}

function isUsageError(error: unknown): boolean {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: './data' },
      to: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.to) throw new UsageError('--to FILE is required');
  const result = await backupDatabase({ dataDir: values.data, to: values.to, force: values.force });
  process.stdout.write(
    `backed up ${result.source} to ${result.file}: ${result.bytes} bytes, ${result.messages} messages\n`,
  );
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  const usage = isUsageError(error) ? `\n${USAGE}` : '';
  process.stderr.write(`tickline: ${message.split('\n')[0]}${usage}\n`);
  process.exit(1);
});
