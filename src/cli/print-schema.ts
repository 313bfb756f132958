import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { printCibleSchema } from '../resolvers/print-schema.js';

/** `npm run schema:print`: regenerates schema.graphql (or prints it with `--stdout`). */
const sdl = await printCibleSchema();
if (process.argv.includes('--stdout')) process.stdout.write(sdl);
else {
  await writeFile('schema.graphql', sdl);
  process.stdout.write('schema.graphql written\n');
}
