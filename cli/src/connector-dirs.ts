import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's folder: the built-in connectors are installed as its dependencies, so they resolve from here. */
export const CONNECTOR_DIRS: readonly string[] = [dirname(fileURLToPath(import.meta.url))];
