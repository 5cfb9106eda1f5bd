#!/usr/bin/env node
// `pollinator-dev-server`: the dev-server in the foreground (options: see src/main.ts or the README).
import '../dist/main.js';
