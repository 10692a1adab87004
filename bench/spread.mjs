/**
 * The cost of the options merge in XState's `Actor` constructor: an object spread
 * `{ ...defaultOptions, ...options }` against `Object.assign({}, defaultOptions, options)`,
 * on options shaped like the ones XState passes when it spawns a child.
 * Run with `node bench/spread.mjs`; prints µs per merge, median of 5.
 */
const defaultOptions = { clock: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id) }, logger: console.log.bind(console), devTools: false };
const opts = () => ({ id: '3', parent: {}, src: 'runTool', input: { index: 1 }, syncSnapshot: false, systemId: undefined });
function bench(label, f) { const N = 200000; let x; for (let i=0;i<20000;i++) x=f(opts()); const t=performance.now(); for (let i=0;i<N;i++) x=f(opts()); const us=(performance.now()-t)*1000/N; return [label, us]; }
const rows=[];
for (let r=0;r<5;r++){ rows.push(bench('spread', (o)=>({...defaultOptions, ...o}))); rows.push(bench('assign', (o)=>Object.assign({}, defaultOptions, o))); rows.push(bench('opts only', (o)=>o)); }
const med=(l)=>{const v=rows.filter(r=>r[0]===l).map(r=>r[1]).sort((a,b)=>a-b); return v[2].toFixed(3)};
console.log('spread', med('spread'), 'assign', med('assign'), 'baseline', med('opts only'), process.version);
