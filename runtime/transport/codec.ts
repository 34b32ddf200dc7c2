// msgpack codec of transport Envelopes. Records (shared structures) are off: structures are
// negotiated per Packr instance, and two independently started processes would not share them.
// Binaries travel as msgpack `bin` and decode as Buffer views into the frame (no copy).
import { Packr, Unpackr } from 'msgpackr';
import { ErrInvalidArgument } from '../../protocol/errors.ts';
import type { Envelope } from './types.ts';

/** Largest frame on a message socket: a 16 MiB payload plus envelope headroom. */
export const FRAME_SIZE_MAX_BYTES = 17 * 1024 * 1024;

// bigint <-> int64 keeps e.g. nanosecond timestamps exact; plain numbers stay numbers.
const packr = new Packr({ useRecords: false, int64AsType: 'bigint' });
const unpackr = new Unpackr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true });

/** Encodes an envelope; the returned bytes are not reused by later calls. */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return packr.pack(envelope);
}

/** Decodes and shape-checks one frame; throws ErrInvalidArgument on anything that is not an Envelope. */
export function decodeEnvelope(frame: Uint8Array): Envelope {
  let v: unknown;
  try {
    v = unpackr.unpack(frame);
  } catch (err) {
    throw new ErrInvalidArgument(`undecodable frame: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof v !== 'object' || v === null) throw new ErrInvalidArgument('frame is not an envelope');
  const e = v as Record<string, unknown>;
  if (e['t'] !== 'q' && e['t'] !== 's' && e['t'] !== 'n') throw new ErrInvalidArgument(`bad envelope type ${String(e['t'])}`);
  if (typeof e['id'] !== 'number' || typeof e['k'] !== 'string' || typeof e['from'] !== 'string') {
    throw new ErrInvalidArgument('envelope lacks id, k or from');
  }
  const w = e['e'];
  if (w !== undefined && w !== null) {
    const we = w as Record<string, unknown>;
    if (typeof we['tcode'] !== 'string' || typeof we['message'] !== 'string' || typeof we['status'] !== 'number') {
      throw new ErrInvalidArgument('envelope error lacks tcode, message or status');
    }
  }
  return v as Envelope;
}
