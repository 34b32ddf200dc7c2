// Cluster configuration (cmn/config.go ClusterConfig), the subset Shoal acts on. Versioned and
// metasynced by the primary like the Smap and the BMD.
import { defaultGetBatchConf, type GetBatchConf } from './moss.ts';

export interface ClusterConfig {
  version: string; // u64 as string
  uuid: string;
  /** Feature flag bitmask (u64) as a decimal string, as AIS. */
  features: string;
  checksum: { type: string; validate_cold_get: boolean; validate_warm_get: boolean; validate_obj_move: boolean; enable_read_range: boolean };
  versioning: { enabled: boolean; validate_warm_get: boolean; synchronize: boolean };
  write_policy: { data: string; md: string };
  keepalivetracker: { proxy: KeepaliveConf; target: KeepaliveConf; num_retries: number };
  client: { client_timeout: string; client_long_timeout: string; list_timeout: string };
  /** GetBatch (issue 7); absent in configs persisted before it: the defaults apply. */
  get_batch?: GetBatchConf;
  lastupdate_time: string;
}

export interface KeepaliveConf {
  name: string;
  interval: string;
  factor: number;
}

export function defaultClusterConfig(uuid: string, features: bigint, keepaliveIntervalMs: number, factor: number, nowIso: string): ClusterConfig {
  const ka: KeepaliveConf = { name: 'heartbeat', interval: `${keepaliveIntervalMs}ms`, factor };
  return {
    version: '1',
    uuid,
    features: String(features),
    checksum: { type: 'xxhash2', validate_cold_get: true, validate_warm_get: false, validate_obj_move: false, enable_read_range: false },
    versioning: { enabled: true, validate_warm_get: false, synchronize: false },
    write_policy: { data: 'immediate', md: 'immediate' },
    keepalivetracker: { proxy: ka, target: ka, num_retries: 3 },
    client: { client_timeout: '10s', client_long_timeout: '5m', list_timeout: '5m' },
    get_batch: defaultGetBatchConf(),
    lastupdate_time: nowIso,
  };
}
