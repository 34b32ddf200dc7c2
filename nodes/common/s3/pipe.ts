// Piping a client's request body through a checking Transform: the Transform's error (a refused
// body) reaches the reader, while the request is left to drain — node:http reads the rest once the
// response is sent — so the client gets the S3 error instead of a reset connection.
import type { Readable, Transform } from 'node:stream';

export function pipeDraining<T extends Transform>(src: Readable, out: T): T {
  src.on('error', (e) => out.destroy(e));
  out.on('error', () => {
    src.unpipe(out);
    src.resume();
  });
  src.pipe(out);
  return out;
}
