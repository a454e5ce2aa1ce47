#!/usr/bin/env node
// The `skein` command: runs the compiled CLI (build it first with `npm run build`).
require('../dist/src/cli/main.js');
