// Pure BMD operations used by the primary.
import type { BMD, Bprops } from '../../protocol/bmd.ts';
import { NS_GLOBAL_UNAME } from '../../protocol/bmd.ts';

export function newBmd(uuid: string): BMD {
  return { providers: {}, uuid, version: '1' };
}

function cloneBump(bmd: BMD): BMD {
  const providers: BMD['providers'] = {};
  for (const [p, nss] of Object.entries(bmd.providers)) {
    providers[p] = {};
    for (const [ns, bcks] of Object.entries(nss)) providers[p][ns] = { ...bcks };
  }
  return { ...bmd, providers, version: String(Number(bmd.version) + 1) };
}

export function bmdWithBucket(bmd: BMD, provider: string, name: string, props: Bprops): BMD {
  const next = cloneBump(bmd);
  next.providers[provider] ??= {};
  next.providers[provider][NS_GLOBAL_UNAME] ??= {};
  next.providers[provider][NS_GLOBAL_UNAME][name] = props;
  return next;
}

export function bmdWithoutBucket(bmd: BMD, provider: string, name: string): BMD {
  const next = cloneBump(bmd);
  const bcks = next.providers[provider]?.[NS_GLOBAL_UNAME];
  if (bcks) delete bcks[name];
  return next;
}
