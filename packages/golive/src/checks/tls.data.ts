/** The `data` of a `tls` result (type only). */
import type { Json } from '../core/result.ts';

/** Evidence of a TLS handshake and version probe. */
export type TlsData = {
  /** False for a plain-http loopback target (nothing to judge). */
  applicable: boolean;
  host: string;
  port?: number;
  servername?: string;
  protocol?: string | null;
  subject?: Json;
  issuer?: Json;
  validFrom?: string;
  validTo?: string;
  daysRemaining?: number | null;
  authorized?: boolean;
  authorizationError?: string | null;
  selfSigned?: boolean;
  hostnameMatch?: boolean;
  protocols?: Json;
  error?: string;
};
