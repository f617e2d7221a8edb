#!/usr/bin/env node
// golive launcher: the compiled CLI (build with `tsc -b packages/golive`).
import '../dist/cli/main.js';
