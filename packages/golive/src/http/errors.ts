/**
 * Classification of network failures, shared by the HTTP client and the load engine. Kept apart from the
 * client so a process that only needs the classifier does not load undici's whole index.
 */

/** Kinds of network failure, each a distinct finding. */
export type NetworkErrorKind = 'refused' | 'dns' | 'reset' | 'timeout' | 'tls' | 'protocol' | 'redirect-loop' | 'too-many-redirects' | 'aborted' | 'other';

/** Maps a thrown error to a failure kind. */
export function classifyError(err: unknown): { kind: NetworkErrorKind; code?: string; message: string } {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code;
  const message = String(e?.message ?? err);
  const c = code ?? '';
  let kind: NetworkErrorKind = 'other';
  if (c === 'ECONNREFUSED') kind = 'refused';
  else if (c === 'ENOTFOUND' || c === 'EAI_AGAIN' || c === 'EAI_NONAME' || c === 'EAI_FAIL') kind = 'dns';
  else if (c === 'ECONNRESET' || c === 'EPIPE' || c === 'UND_ERR_SOCKET' || c === 'UND_ERR_CLOSED') kind = 'reset';
  else if (/TIMEOUT/.test(c) || c === 'ETIMEDOUT' || e?.name === 'TimeoutError') kind = 'timeout';
  else if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|ALTNAME/i.test(c) || /certificate|self[- ]signed|tls|ssl/i.test(message)) kind = 'tls';
  else if (c.startsWith('HPE_') || e?.name === 'HTTPParserError' || c === 'UND_ERR_INFO' || c === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || c === 'UND_ERR_INVALID_ARG' || c === 'ERR_INVALID_CHAR' || c === 'ERR_INVALID_HTTP_TOKEN') kind = 'protocol';
  else if (e?.name === 'AbortError' || c === 'UND_ERR_ABORTED' || c === 'ABORT_ERR') kind = 'aborted';
  return code === undefined ? { kind, message } : { kind, code, message };
}
