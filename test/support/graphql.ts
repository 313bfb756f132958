import { expect } from 'vitest';
import type { GraphQLResponse } from './app.js';

/** The data of a response that must have succeeded (the errors are the failure message). */
export function ok<T = any>(r: GraphQLResponse<T>): T {
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data as T;
}

/** The first error of a response that must have failed, with its extensions (code, field, reason). */
export function errorOf(r: GraphQLResponse): { message: string; code?: string; field?: string | null; reason?: string } {
  expect(r.errors?.length ?? 0, 'expected an error').toBeGreaterThan(0);
  return { message: r.errors![0].message, ...r.errors![0].extensions };
}
