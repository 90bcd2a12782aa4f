#!/usr/bin/env node
// The `hq` command line as a script: `node hq.js <args>`.
import { main } from './main.js';

main(process.argv.slice(2));
