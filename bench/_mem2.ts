const t = performance.now();
const s0 = process.memoryUsage().rss;
for (const m of process.argv.slice(2)) { const a = performance.now(); const r0 = process.memoryUsage().rss; await import(m); console.log(m, (performance.now()-a).toFixed(0),'ms +', ((process.memoryUsage().rss - r0)/1e6).toFixed(0),'MB'); }
const s = (await import('node:fs')).readFileSync('/proc/self/status','utf8');
console.log(/VmHWM.*/.exec(s)[0]);
