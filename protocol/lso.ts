// List objects (apc/lsmsg.go, cmn/objlist.go): request LsoMsg, response LsoRes of LsoEnt.

export interface LsoMsg {
  uuid?: string;
  props?: string;
  time_format?: string;
  prefix?: string;
  start_after?: string;
  continuation_token?: string;
  target?: string;
  flags?: string; // u64 as string
  pagesize?: number;
  hdr?: Record<string, string>;
}

export interface LsoEnt {
  name: string;
  checksum?: string;
  atime?: string;
  version?: string;
  location?: string;
  'custom-md'?: string;
  size?: string; // JSON string, as AIS
  copies?: number;
  flags?: number;
}

export interface LsoRes {
  uuid: string;
  continuation_token: string;
  entries: LsoEnt[];
  flags: number;
}

/** msgpack form (cmn/objlist_gen.go): capitalised keys for LsoRes, short keys for entries. */
export interface LsoEntMsgpack {
  n: string;
  cs?: string;
  a?: string;
  v?: string;
  t?: string;
  m?: string;
  s?: number;
  c?: number;
  f?: number;
}
