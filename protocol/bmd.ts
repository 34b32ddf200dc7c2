// Bucket metadata (meta/bmd.go) and bucket properties (cmn/api.go Bprops) in AIS JSON shape.
import type { CksumType } from './apc.ts';

export interface Namespace {
  uuid: string;
  name: string;
}

export interface Bck {
  name: string;
  provider: string;
  namespace: Namespace;
}

export interface CksumConf {
  type: CksumType;
  validate_cold_get: boolean;
  validate_warm_get: boolean;
  validate_obj_move: boolean;
  enable_read_range: boolean;
}

export interface VersionConf {
  enabled: boolean;
  validate_warm_get: boolean;
  synchronize: boolean;
}

export type WritePolicy = 'immediate' | 'delayed' | 'never';

export interface Bprops {
  provider: string;
  created: string; // unix ns as string
  bid: string; // u64 as string
  access: string; // u64 bits as string
  features: string;
  checksum: CksumConf;
  versioning: VersionConf;
  mirror: { enabled: boolean; copies: number; burst_buffer: number };
  lru: { enabled: boolean; dont_evict_time: string; capacity_upd_time: string };
  write_policy: { data: WritePolicy; md: WritePolicy };
  extra: { custom?: string };
}

export interface BMD {
  providers: Record<string, Record<string, Record<string, Bprops>>>;
  uuid: string;
  version: string;
}

/** The global namespace's ns-uname, as AIS writes it. */
export const NS_GLOBAL_UNAME = '@#';

/** Access: all bits set, as AIS's default (`apc.AccessAll`). */
export const ACCESS_ALL = String((1n << 18n) - 1n);

export function defaultBprops(provider: string, createdNs: bigint, bid: bigint): Bprops {
  return {
    provider,
    created: String(createdNs),
    bid: String(bid),
    access: ACCESS_ALL,
    features: '0',
    checksum: {
      type: 'xxhash2',
      validate_cold_get: true,
      validate_warm_get: false,
      validate_obj_move: false,
      enable_read_range: false,
    },
    versioning: { enabled: true, validate_warm_get: false, synchronize: false },
    mirror: { enabled: false, copies: 2, burst_buffer: 128 },
    lru: { enabled: false, dont_evict_time: '2h', capacity_upd_time: '10m' },
    write_policy: { data: 'immediate', md: 'immediate' },
    extra: {},
  };
}

export function bmdVersion(bmd: BMD): number {
  return Number(bmd.version);
}

/** Looks a bucket up in the BMD (global namespace only for now). */
export function bmdGet(bmd: BMD, provider: string, name: string): Bprops | undefined {
  return bmd.providers[provider]?.[NS_GLOBAL_UNAME]?.[name];
}

export function bmdBuckets(bmd: BMD): { provider: string; name: string; props: Bprops }[] {
  const out: { provider: string; name: string; props: Bprops }[] = [];
  for (const [provider, nss] of Object.entries(bmd.providers)) {
    for (const bcks of Object.values(nss)) {
      for (const [name, props] of Object.entries(bcks)) out.push({ provider, name, props });
    }
  }
  out.sort((a, b) => (a.provider + a.name < b.provider + b.name ? -1 : 1));
  return out;
}

/** Bucket uname prefix used for HRW and the metadata index: `ais/@#/<bucket>/`. */
export function bckUname(provider: string, name: string): string {
  return `${provider}/${NS_GLOBAL_UNAME}/${name}/`;
}
