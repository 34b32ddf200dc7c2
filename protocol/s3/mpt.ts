// Multipart uploads between nodes: the proxy asks every target for its in-progress uploads of a bucket
// (ListMultipartUploads fans out; each upload lives on the HRW target of its object).

export const MptMsg = {
  /** proxy → target: in-progress uploads of one bucket. Body MptListReq, answer MptListRes. */
  list: 's3.mpt.list',
} as const;

export interface MptListReq {
  bck: { provider: string; name: string };
  prefix: string;
  /** Uploads after (key, uploadId) in (key, uploadId) order; '' = from the start. */
  keyMarker: string;
  uploadIdMarker: string;
  /** At most this many (the proxy merges and cuts). */
  limit: number;
}

export interface MptUploadInfo {
  key: string;
  uploadId: string;
  /** Unix ms the upload was created. */
  initiatedMs: number;
}

export interface MptListRes {
  uploads: MptUploadInfo[];
}
