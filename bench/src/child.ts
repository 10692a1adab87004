/**
 * One measuring process: `node --expose-gc --import tsx bench/src/child.ts '<ChildRequest[] JSON>'`.
 * Runs the requests in order (all for one system) and prints one line,
 * `RESULT <ChildResponse JSON>`, per request on stdout.
 */
import type { ChildRequest, ChildResponse } from '../protocol.js';
import { failFast, makespan, memory, overhead } from './figures.js';
import { loadSystem } from './systems.js';

async function measure(request: ChildRequest): Promise<ChildResponse> {
  const system = await loadSystem(request.system);
  const concurrency = request.concurrency ?? Infinity;
  switch (request.figure) {
    case 'overhead': {
      const { points, skipped } = await overhead(system, request.ks, concurrency, request.runs, request.warmEachK, request.budgetSeconds);
      return { figure: 'overhead', points, skipped };
    }
    case 'makespan':
      return { figure: 'makespan', result: await makespan(system, 200, 5, concurrency, request.runs, request.warmUps ?? 10) };
    case 'memory':
      return { figure: 'memory', result: await memory(system, request.ks[0]!, concurrency) };
    case 'failFast':
      return { figure: 'failFast', runs: await failFast(system, 100, 10, 50, concurrency, request.runs) };
  }
}

const requests = JSON.parse(process.argv[2] ?? '[]') as ChildRequest[];
for (const request of requests) {
  process.stdout.write(`RESULT ${JSON.stringify(await measure(request))}\n`);
}
// Peers may leave timers or handles behind; the measurements are done.
process.exit(0);
