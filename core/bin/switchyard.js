#!/usr/bin/env node
// Committed entry point, so `npx switchyard` works as soon as the workspace is built.
import '../dist/cli/main.js';
