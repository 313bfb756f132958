import { access } from 'node:fs/promises';
import { SingleBar, Presets } from 'cli-progress';
import { importFile } from '../ingestion/import-file.js';
import type { ImportKind } from '../ingestion/csv-mapping.js';
import { fail, withDatabase } from './cli-support.js';

const USAGE = 'usage: npm run import -- customers|transactions|events FILE [--format csv|ndjson] [--chunk N] [--quiet]';
const KINDS: ImportKind[] = ['customers', 'transactions', 'events'];

/**
 * `npm run import -- customers data/customers.csv`: streams a CSV or NDJSON file into Cible with the
 * validation of the GraphQL mutations, shows a progress bar, writes rejected lines to
 * `FILE.rejects.csv` and prints a JSON summary line.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const [kind, file] = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.match(/^--(format|chunk)$/));
  if (!KINDS.includes(kind as ImportKind) || !file) fail(USAGE);
  const flag = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const format = flag('format');
  if (format && format !== 'csv' && format !== 'ndjson') fail(USAGE);
  const chunk = flag('chunk') ? Number(flag('chunk')) : undefined;
  if (chunk !== undefined && (!Number.isInteger(chunk) || chunk < 1)) fail('--chunk must be a positive whole number');
  await access(file).catch(() => fail(`cannot read ${file}`));
  const quiet = args.includes('--quiet') || !process.stderr.isTTY;

  await withDatabase(async ({ db }) => {
    const bar = new SingleBar(
      { format: `${kind} |{bar}| {percentage}% | {lines} lines | {written} written | {rejected} rejected | {rate} lines/s`, hideCursor: true },
      Presets.shades_classic,
    );
    const started = Date.now();
    if (!quiet) bar.start(100, 0, { lines: 0, written: 0, rejected: 0, rate: 0 });
    const report = await importFile({
      db,
      kind: kind as ImportKind,
      file,
      format: format as 'csv' | 'ndjson' | undefined,
      now: new Date(),
      chunkSize: chunk,
      onProgress: (p) => {
        if (quiet) return;
        const rate = Math.round(p.lines / Math.max(0.001, (Date.now() - started) / 1000));
        bar.update(Math.floor((100 * p.bytesRead) / Math.max(1, p.totalBytes)), { lines: p.lines, written: p.written, rejected: p.rejected, rate });
      },
    });
    if (!quiet) {
      bar.update(100, { lines: report.records, written: report.inserted + report.updated, rejected: report.rejected });
      bar.stop();
    }
    process.stdout.write(
      `${JSON.stringify({ ...report, rowsPerSecond: Math.round(report.records / report.seconds), maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
    );
    if (report.reportFile) process.stderr.write(`${report.rejected} rejected and ${report.duplicates} superseded line(s): see ${report.reportFile}\n`);
  });
}

main().catch((err) => {
  // Not an expected failure (those print one line and exit 1 on their own): keep the stack trace.
  console.error(err);
  process.exit(1);
});
