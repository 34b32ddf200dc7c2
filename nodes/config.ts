// Node configuration (AIS local config + the cluster knobs this node starts with). One JSON file per
// node, what `shoal-node --role proxy|target --config FILE` reads (and what systemd units point at).
import { Ajv, type JSONSchemaType } from 'ajv';
import { ErrInvalidArgument } from '../protocol/errors.ts';

export interface NodeConfig {
  /** Stable node id; generated and kept in `<confdir>/.ais.daemon_id` when absent. */
  daemon_id?: string;
  /** Where this node keeps its Smap, BMD, id (AIS `confdir`). */
  confdir: string;
  /** Log file; stdout when empty. */
  log_file?: string;
  log_level?: string;
  host_net: {
    hostname: string;
    port: number;
    port_intra_control: number;
    port_intra_data: number;
  };
  /** Target mountpaths: path → label (AIS `fspaths`). */
  fspaths?: Record<string, string>;
  proxy: {
    /** Public URL of the primary proxy: proxies whose own public URL equals it start as primary. */
    primary_url: string;
  };
  /** Initial cluster feature flags (names or bitmask), applied by the primary at cluster creation. */
  features?: string;
  keepalive?: {
    interval_ms: number;
    /** A node missing this many intervals in a row is removed from the Smap. */
    factor: number;
  };
  /** `node` (default) or `uws`: the HTTP server adapter for the public network. */
  http_adapter?: 'node' | 'uws';
  /** Allow test-only job kinds (e.g. `test-fail`, a job whose work throws). Never in production. */
  test_jobs?: boolean;
  /** Do not self-join: wait to be added by `POST /v1/cluster/join-by-admin` (AIS `-standby`). */
  standby?: boolean;
  /**
   * S3 API settings of this node. SigV4 auth is off by default; the secrets stay in this file, never
   * in the cluster config or any API answer.
   */
  s3?: NodeS3Config;
}

export interface NodeS3Config {
  /** Verify SigV4 (header or presigned) on every S3 request at this proxy. */
  auth?: boolean;
  /** Access key id → secret access key. */
  access_keys?: Record<string, string>;
  /** Region reported to clients (HeadBucket, GetBucketLocation); default us-east-1. */
  region?: string;
}

const schema: JSONSchemaType<NodeConfig> = {
  type: 'object',
  additionalProperties: false,
  required: ['confdir', 'host_net', 'proxy'],
  properties: {
    daemon_id: { type: 'string', nullable: true, pattern: '^[A-Za-z0-9_-]{1,32}$' },
    confdir: { type: 'string', minLength: 1 },
    log_file: { type: 'string', nullable: true },
    log_level: { type: 'string', nullable: true, enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] },
    host_net: {
      type: 'object',
      additionalProperties: false,
      required: ['hostname', 'port', 'port_intra_control', 'port_intra_data'],
      properties: {
        hostname: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        port_intra_control: { type: 'integer', minimum: 1, maximum: 65535 },
        port_intra_data: { type: 'integer', minimum: 1, maximum: 65535 },
      },
    },
    fspaths: { type: 'object', nullable: true, required: [], additionalProperties: { type: 'string' } },
    proxy: {
      type: 'object',
      additionalProperties: false,
      required: ['primary_url'],
      properties: { primary_url: { type: 'string', pattern: '^https?://' } },
    },
    features: { type: 'string', nullable: true },
    keepalive: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      required: ['interval_ms', 'factor'],
      properties: {
        interval_ms: { type: 'integer', minimum: 50, maximum: 600_000 },
        factor: { type: 'integer', minimum: 1, maximum: 100 },
      },
    },
    http_adapter: { type: 'string', nullable: true, enum: ['node', 'uws'] },
    test_jobs: { type: 'boolean', nullable: true },
    standby: { type: 'boolean', nullable: true },
    s3: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      required: [],
      properties: {
        auth: { type: 'boolean', nullable: true },
        access_keys: {
          type: 'object',
          nullable: true,
          required: [],
          propertyNames: { pattern: '^[A-Za-z0-9]{1,128}$' },
          additionalProperties: { type: 'string', minLength: 1 },
        },
        region: { type: 'string', nullable: true, pattern: '^[a-z0-9-]{1,64}$' },
      },
    },
  },
};

const validate = new Ajv({ allErrors: true }).compile(schema);

export const KEEPALIVE_INTERVAL_MS_DEFAULT = 1_000;
export const KEEPALIVE_FACTOR_DEFAULT = 3;

export function parseNodeConfig(json: unknown): NodeConfig {
  if (!validate(json)) {
    const why = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ');
    throw new ErrInvalidArgument(`invalid node config: ${why}`);
  }
  return json;
}
