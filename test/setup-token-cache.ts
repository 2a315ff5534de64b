/**
 * Every test file gets its own, empty ml-connector cache directory (Zoho access tokens kept
 * between runs live there, see src/zoho/token-cache.ts), inherited by the CLI processes the tests
 * start: no test reads a token another test left, and nothing is written to the user's cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'ml-cache-'));
process.env.ML_CONNECTOR_CACHE_DIR = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
