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
  else if (c.startsWith('HPE_') || e?.name === 'HTTPParserError' || c === 'UND_ERR_INFO' || c === 'UND_ERR_HEADERS_OVERFLOW' || c === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || c === 'UND_ERR_INVALID_ARG' || c === 'ERR_INVALID_CHAR' || c === 'ERR_INVALID_HTTP_TOKEN') kind = 'protocol';
  else if (e?.name === 'AbortError' || c === 'UND_ERR_ABORTED' || c === 'ABORT_ERR') kind = 'aborted';
  return code === undefined ? { kind, message } : { kind, code, message };
}

/**
 * Codes of failures that come from the network or from what the peer sent: system socket errors, undici's
 * connection and parser errors, TLS verdicts, aborts. OpenSSL errors about reading PEM, X.509 or keys come from
 * golive's own TLS settings (a bad `target.tls.ca`), not from the peer, and are not among them. Anything else thrown while sending a request is a bug of
 * golive (or a request golive built wrongly) and must not be reported as evidence against the target.
 */
const NETWORK_CODE =
  /^(E[A-Z0-9]+|HPE_[A-Z0-9_]+|UND_ERR_(?!INVALID_ARG$|NOT_SUPPORTED$)[A-Z0-9_]+|ERR_(?:SSL|TLS|HTTP2)_[A-Z0-9_]+|ERR_OSSL_(?!PEM_|X509_|ASN1_|EVP_|BIO_|DECODER_)[A-Z0-9_]+|CERT_[A-Z0-9_]+|UNABLE_TO_[A-Z0-9_]+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|ABORT_ERR|ERR_STREAM_PREMATURE_CLOSE|ERR_SOCKET_[A-Z0-9_]+)$/;

/** Whether a thrown value is a real network or protocol failure (the target's), rather than golive's own bug. */
export function isNetworkError(err: unknown): boolean {
  // undici wraps socket errors; one level of cause is enough to see the original.
  for (let e = err as { code?: unknown; name?: unknown; errno?: unknown; syscall?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 3; depth++) {
    if (typeof e !== 'object') return false;
    if (typeof e.code === 'string' && NETWORK_CODE.test(e.code)) return true;
    if (typeof e.errno === 'number' && typeof e.syscall === 'string') return true;
    if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.name === 'HTTPParserError') return true;
    e = e.cause as typeof e;
  }
  return false;
}
