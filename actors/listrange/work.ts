// delete-listrange / evict-listrange on one target (AIS xs/lrit.go): walk the list, the template or
// the whole bucket, act only on names this target owns by HRW, count objects and bytes.
// Missing names of an explicit list are errors unless `coer` (continue on error); a template may be
// sparse, so its missing names are skipped.
import type { BckRefWire } from '../../protocol/intra.ts';
import { ZERO_COUNTERS } from '../../protocol/xact.ts';
import { expandTemplate, parseBashTemplate } from '../../protocol/template.ts';
import type { JobWork } from '../xact/machine.ts';
import { scanBucket, type JobStore } from '../xact/store.ts';

export const LISTRANGE_REPORT_EVERY_OBJS = 256;
/** Missing names quoted in the job's error. */
export const LISTRANGE_MISSING_SHOWN_MAX = 8;

export interface ListRange {
  objnames?: string[];
  template?: string;
  prefix?: string;
  coer?: boolean;
}

export interface ListRangeDeps {
  store: JobStore;
  bck: BckRefWire;
  /** This target is the HRW owner of the object. */
  owns(objName: string): boolean;
}

function* namesOf(deps: ListRangeDeps, lr: ListRange, signal: AbortSignal): Generator<string> {
  if (lr.objnames && lr.objnames.length > 0) yield* lr.objnames;
  else if (lr.template) yield* expandTemplate(parseBashTemplate(lr.template));
  else for (const o of scanBucket(deps.store, deps.bck, lr.prefix ?? '', signal)) yield o.name;
}

export function listRangeWork(deps: ListRangeDeps, lr: ListRange): JobWork {
  const explicit = (lr.objnames?.length ?? 0) > 0;
  return async ({ signal, report }) => {
    const c = { ...ZERO_COUNTERS };
    const missing: string[] = [];
    let seen = 0;
    for (const name of namesOf(deps, lr, signal)) {
      signal.throwIfAborted();
      if (++seen % LISTRANGE_REPORT_EVERY_OBJS === 0) report({ ...c });
      if (!deps.owns(name)) continue;
      const meta = deps.store.head(deps.bck, name);
      if (meta === undefined) {
        if (explicit && !lr.coer) missing.push(name);
        continue;
      }
      await deps.store.delete(deps.bck, name);
      c.locObjs++;
      c.locBytes += meta.size;
    }
    const err =
      missing.length === 0
        ? undefined
        : `${missing.length} object(s) not found: ${missing.slice(0, LISTRANGE_MISSING_SHOWN_MAX).join(', ')}${missing.length > LISTRANGE_MISSING_SHOWN_MAX ? ', ...' : ''}`;
    return { counters: c, err };
  };
}
