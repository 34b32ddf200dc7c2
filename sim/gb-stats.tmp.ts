import { runSeed } from './run.ts';
const faults = process.argv[2] as 'none' | 'heavy' | 'light';
const [a, b] = process.argv[3]!.split('-').map(Number);
for (let s = a!; s <= b!; s++) {
  const r = await runSeed(s, { steps: 300, faults, getBatch: true, ...(process.argv[4] ? { faultOverrides: { crashP: 1, outageMeanMs: 2000 } } : {}) });
  const g = r.getBatch!;
  console.log(s, r.ok ? 'ok' : 'FAIL', `req ${g.requests} memb ${g.duringMembership} crash ${g.duringOutage} after ${g.afterChange} ok ${g.ok} cut ${g.cut} 404 ${g.status404} 5xx ${g.status5xx} noans ${g.noAnswer} items ${g.itemsChecked} miss ${g.missingEntries} relaxed ${g.missingRelaxed} final ${g.finalItems} wall ${(r.wallMs/1000).toFixed(1)}s`, r.ok ? '' : r.error?.message.slice(0, 200));
}
