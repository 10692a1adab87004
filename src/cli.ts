#!/usr/bin/env node
/** The command line: `xstate-parallel-tools [demo]`. The demo arrives with the agent integration. */
console.log('xstate-parallel-tools: the demo agent comes with the agent integration; see README.md.');
