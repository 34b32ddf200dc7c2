// XML in and out of the S3 API. Bodies we build are plain objects turned into XML (arrays repeat the
// element); bodies we parse are validated first, so a broken document is MalformedXML, never a 500.
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { s3Err } from './errors.ts';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
export const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

export type XmlValue = string | number | boolean | bigint | undefined | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: false, suppressEmptyNode: false, processEntities: true });

/** `<root xmlns="…S3…">…</root>` with the declaration. `undefined` fields are left out. */
export function s3XmlDoc(root: string, body: XmlObject, xmlns = true): string {
  const el: XmlObject = xmlns ? { '@_xmlns': S3_XMLNS, ...body } : body;
  return XML_DECL + (builder.build({ [root]: el }) as string);
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false, // keys such as "007" stay strings
  trimValues: false,
  processEntities: true,
  // numeric character references too: Go's encoding/xml (rclone, the AWS Go SDK) writes `"` as `&#34;`
  htmlEntities: true,
  isArray: (name) => ARRAY_TAGS.has(name),
});
/** Elements that may repeat in request bodies we accept (Delete/Object, CompleteMultipartUpload/Part). */
const ARRAY_TAGS = new Set(['Object', 'Part']);

/** Parses a request body; not well-formed, or not the expected root element: MalformedXML. */
export function parseS3Xml(body: Uint8Array | string, root: string): XmlObject {
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (text.trim() === '') throw s3Err.malformedXML('empty body');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw s3Err.malformedXML(valid.err.msg);
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch (e) {
    throw s3Err.malformedXML((e as Error).message);
  }
  const el = (doc as Record<string, unknown>)[root];
  if (el === undefined) throw s3Err.malformedXML(`expected root element <${root}>`);
  if (el === '' ) return {};
  if (typeof el !== 'object' || el === null || Array.isArray(el)) throw s3Err.malformedXML(`<${root}> has no elements`);
  return el as XmlObject;
}

/** A child element's text ('' when empty or absent). */
export function xmlText(o: XmlObject, name: string): string | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return '';
}
