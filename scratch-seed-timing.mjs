import 'reflect-metadata';
import { loadConfig } from './dist/src/config.js';
import { openDatabase, closeDatabase } from './dist/src/db/database.js';
import { generateBase } from './dist/src/seed/generate-base.js';
const db = await openDatabase({ config: loadConfig() });
const t0 = performance.now();
let last = t0;
const s = await generateBase({ db, customers: Number(process.argv[2] ?? 10000), seed: 1, now: new Date('2026-01-15T00:00:00Z'), reset: true,
  onProgress: (c) => { const t = performance.now(); if (t - last > 500) { last = t; console.error(((t - t0)/1000).toFixed(1), JSON.stringify(c)); } } });
console.log(JSON.stringify(s));
await closeDatabase(db);
