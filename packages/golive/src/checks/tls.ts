/**
 * `tls`: connects to the target's https port with node:tls and judges the certificate (days until it
 * expires, hostname match, chain validity, self-signed) and the protocol versions the server accepts
 * (each of TLSv1 … TLSv1.3 tried alone; the old ones must be refused). A plain http target on a loopback
 * host has nothing to judge: the check says so and passes; elsewhere a target without https fails.
 */
import { connect, type PeerCertificate, type SecureVersion, type TLSSocket, checkServerIdentity } from 'node:tls';
import { isIP } from 'node:net';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { isLoopbackHost } from '../analysers/analyze.ts';
import type { Json, Observation } from '../core/result.ts';
import { CheckError } from '../core/errors.ts';
import { type CheckContext, type CheckOutcome, defineCheck, observe } from './types.ts';

/** Protocol versions tried one by one. */
export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
type TlsVersion = (typeof TLS_VERSIONS)[number];

const options = z
  .object({
    host: z.string().min(1).optional().describe('Host to connect to (default: the target host).'),
    port: z.number().int().min(1).max(65535).optional().describe('Port (default: the target port, or 443).'),
    servername: z.string().min(1).optional().describe('SNI and the name the certificate must match (default: the host).'),
    minDaysRemaining: z.number().int().min(0).default(14).describe('Fail when the certificate expires in fewer days.'),
    caFile: z.string().min(1).optional().describe('PEM file of extra trusted CA certificates (a private CA).'),
    checkProtocols: z.boolean().default(true).describe('Try each protocol version alone and fail on TLSv1 / TLSv1.1.'),
    allowedProtocols: z.array(z.enum(TLS_VERSIONS)).min(1).default(['TLSv1.2', 'TLSv1.3']).describe('Protocol versions the server may accept.'),
    timeoutMs: z.number().int().positive().max(60_000).default(5000).describe('Per-connection timeout in ms.'),
  })
  .strict();

/** Options of the `tls` check. */
export type TlsCheckOptions = z.output<typeof options>;

interface Handshake {
  ok: true;
  protocol: string | null;
  authorized: boolean;
  authorizationError: string | undefined;
  cert: PeerCertificate;
}
interface HandshakeFailure {
  ok: false;
  code: string;
  message: string;
}

function handshake(
  host: string,
  port: number,
  servername: string | undefined,
  o: { ca?: string; minVersion?: SecureVersion; maxVersion?: SecureVersion; ciphers?: string; timeoutMs: number; signal: AbortSignal },
): Promise<Handshake | HandshakeFailure> {
  return new Promise((resolve) => {
    let socket: TLSSocket | undefined;
    const done = (r: Handshake | HandshakeFailure) => {
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      socket?.destroy();
      resolve(r);
    };
    const onAbort = () => done({ ok: false, code: 'ABORTED', message: 'aborted' });
    const timer = setTimeout(() => done({ ok: false, code: 'TIMEOUT', message: `no TLS handshake within ${o.timeoutMs} ms` }), o.timeoutMs);
    o.signal.addEventListener('abort', onAbort, { once: true });
    try {
      socket = connect({
        host,
        port,
        ...(servername && !isIP(servername) ? { servername } : {}),
        rejectUnauthorized: false,
        ...(o.ca ? { ca: o.ca } : {}),
        ...(o.minVersion ? { minVersion: o.minVersion } : {}),
        ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
        ...(o.ciphers ? { ciphers: o.ciphers } : {}),
      });
    } catch (e) {
      const err = e as { code?: string; message?: string };
      done({ ok: false, code: err.code ?? 'ERROR', message: String(err.message ?? e) });
      return;
    }
    socket.once('secureConnect', () => {
      const s = socket as TLSSocket;
      const authErr = s.authorizationError as unknown;
      done({
        ok: true,
        protocol: s.getProtocol(),
        authorized: s.authorized,
        authorizationError: authErr === undefined || authErr === null ? undefined : String((authErr as { code?: string }).code ?? authErr),
        cert: s.getPeerCertificate(true),
      });
    });
    socket.once('error', (e: Error & { code?: string }) => done({ ok: false, code: e.code ?? 'ERROR', message: e.message }));
  });
}

const SELF_SIGNED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']);
/** Client-side refusals: the local TLS library cannot even offer the version, so nothing is learnt. */
const CLIENT_CANNOT_TRY = /NO_PROTOCOLS_AVAILABLE|NO_CIPHERS_AVAILABLE|ERR_TLS_INVALID_PROTOCOL_VERSION|NO_SUITABLE_SIGNATURE/i;

async function probeVersion(host: string, port: number, servername: string | undefined, v: TlsVersion, ca: string | undefined, ctx: CheckContext, timeoutMs: number): Promise<boolean | null> {
  const old = v === 'TLSv1' || v === 'TLSv1.1';
  const r = await handshake(host, port, servername, {
    minVersion: v,
    maxVersion: v,
    // Old protocols need the legacy ciphers and security level 0 to be offered at all by OpenSSL 3.
    ...(old ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
    ...(ca ? { ca } : {}),
    timeoutMs,
    signal: ctx.signal,
  });
  if (r.ok) return r.protocol === v;
  if (CLIENT_CANNOT_TRY.test(`${r.code} ${r.message}`) && !/alert/i.test(r.message)) return null;
  return false;
}

function daysBetween(fromMs: number, toMs: number): number {
  return Math.floor((toMs - fromMs) / 86_400_000);
}

/** The `tls` check kind. */
export const tlsCheck = defineCheck({
  kind: 'tls',
  title: 'TLS certificate and protocols',
  description: 'Certificate expiry, hostname match, chain validity and the TLS protocol versions the server accepts.',
  options,
  defaultTimeoutMs: 30_000,
  metrics: { daysRemaining: { direction: 'higher', tolerance: 0.5 } },
  async run(ctx, opts): Promise<CheckOutcome> {
    const base = ctx.target.baseUrl;
    const explicit = opts.host !== undefined || opts.port !== undefined;
    if (!explicit && base.protocol !== 'https:') {
      if (isLoopbackHost(base.hostname)) {
        return {
          observations: [observe('tls-applicable', true, 'https target', 'plain http on loopback', { message: `not applicable: ${base.origin} is plain http on a loopback host` })],
          data: { applicable: false, host: base.hostname },
          summary: 'not applicable (plain http on loopback)',
        };
      }
      return {
        observations: [observe('https', false, 'an https target', base.protocol, { code: 'TLS_NO_HTTPS', message: `${base.origin} is not served over https` })],
        data: { applicable: true, host: base.hostname },
      };
    }
    const host = (opts.host ?? base.hostname).replace(/^\[|\]$/g, '');
    const port = opts.port ?? (base.protocol === 'https:' && base.port ? Number(base.port) : 443);
    const servername = opts.servername ?? host;
    // The target's trust (target.tls.ca, --ca) and the check's own caFile both count.
    const targetCa = ctx.target.tls?.ca;
    let ca: string | undefined = targetCa === undefined ? undefined : Array.isArray(targetCa) ? targetCa.join('\n') : (targetCa as string);
    if (opts.caFile) {
      try {
        ca = [ca, await readFile(opts.caFile, 'utf8')].filter(Boolean).join('\n');
      } catch (e) {
        throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `tls.caFile ${opts.caFile} cannot be read: ${(e as Error).message}`);
      }
    }
    const obs: Observation[] = [];
    const where = `${host}:${port}`;
    const h = await handshake(host, port, servername, { ...(ca ? { ca } : {}), timeoutMs: opts.timeoutMs, signal: ctx.signal });
    ctx.signal.throwIfAborted();
    if (!h.ok) {
      return {
        observations: [observe('handshake', false, 'a TLS handshake', h.code, { code: 'TLS_CONNECT_FAILED', message: `TLS connection to ${where} failed: ${h.code} ${h.message}` })],
        data: { applicable: true, host, port, error: h.code },
      };
    }
    const cert = h.cert;
    const now = ctx.clock.now();
    const validTo = Date.parse(cert.valid_to);
    const validFrom = Date.parse(cert.valid_from);
    const daysRemaining = Number.isFinite(validTo) ? daysBetween(now, validTo) : null;
    const subject = cert.subject?.CN ?? '';
    const issuer = cert.issuer?.CN ?? '';
    const desc = `certificate of ${where} (subject CN=${subject || '?'}, issuer CN=${issuer || '?'}, valid ${cert.valid_from} → ${cert.valid_to})`;

    const expired = daysRemaining !== null && validTo < now;
    obs.push(
      observe('certificate-expiry', !expired && daysRemaining !== null && daysRemaining >= opts.minDaysRemaining, `≥ ${opts.minDaysRemaining} days left`, daysRemaining === null ? 'unknown' : `${daysRemaining} days`, {
        code: expired ? 'TLS_CERT_EXPIRED' : 'TLS_CERT_EXPIRES_SOON',
        message: expired ? `${desc} has expired` : `${desc}: ${daysRemaining} days left (threshold ${opts.minDaysRemaining})`,
      }),
    );
    if (Number.isFinite(validFrom) && validFrom > now) {
      obs.push(observe('certificate-not-yet-valid', false, 'valid now', `valid from ${cert.valid_from}`, { code: 'TLS_CERT_NOT_YET_VALID', message: `${desc} is not valid yet` }));
    }
    const selfSigned = h.authorizationError !== undefined && SELF_SIGNED.has(h.authorizationError);
    // Node folds a hostname mismatch into authorizationError; the hostname is judged on its own below.
    const chainOk = h.authorized || h.authorizationError === 'CERT_HAS_EXPIRED' || h.authorizationError === 'ERR_TLS_CERT_ALTNAME_INVALID';
    obs.push(
      observe('certificate-chain', chainOk, 'a chain to a trusted CA', chainOk ? 'trusted' : (h.authorizationError ?? 'untrusted'), {
        code: selfSigned ? 'TLS_CERT_SELF_SIGNED' : 'TLS_CERT_UNTRUSTED',
        message: chainOk
          ? `${desc}: chain trusted`
          : selfSigned
            ? `${desc} is self-signed (${h.authorizationError}): browsers and clients refuse it`
            : `${desc} does not chain to a trusted CA: ${h.authorizationError}`,
      }),
    );
    const idErr = checkServerIdentity(servername, cert);
    obs.push(
      observe('hostname', idErr === undefined, `certificate valid for ${servername}`, idErr ? `names: ${cert.subjectaltname ?? `CN=${subject}`}` : 'match', {
        code: 'TLS_HOSTNAME_MISMATCH',
        message: idErr ? `${desc} is not valid for ${servername}: ${idErr.message}` : `${desc} is valid for ${servername}`,
      }),
    );

    const protocols: Record<string, Json> = {};
    if (opts.checkProtocols) {
      for (const v of TLS_VERSIONS) {
        protocols[v] = await probeVersion(host, port, opts.servername ?? host, v, ca, ctx, opts.timeoutMs);
        ctx.signal.throwIfAborted();
      }
      const offered = TLS_VERSIONS.filter((v) => protocols[v] === true);
      const forbidden = offered.filter((v) => !opts.allowedProtocols.includes(v));
      obs.push(
        observe('protocols', forbidden.length === 0, `only ${opts.allowedProtocols.join(', ')}`, offered.join(', ') || 'none', {
          code: 'TLS_OLD_PROTOCOL',
          message: forbidden.length ? `${where} accepts ${forbidden.join(', ')} (accepted: ${offered.join(', ')})` : `${where} accepts ${offered.join(', ') || 'none of the versions tried'}`,
        }),
      );
      const modern = offered.some((v) => v === 'TLSv1.2' || v === 'TLSv1.3');
      if (!modern) {
        obs.push(observe('modern-protocol', false, 'TLSv1.2 or TLSv1.3', offered.join(', ') || 'none', { code: 'TLS_NO_MODERN_PROTOCOL', message: `${where} accepts neither TLSv1.2 nor TLSv1.3` }));
      }
      const untested = TLS_VERSIONS.filter((v) => protocols[v] === null);
      if (untested.length) {
        // OpenSSL's security level keeps golive from offering these: the server's answer to them is unknown.
        obs.push(
          observe('protocols-untested', false, `each of ${TLS_VERSIONS.join(', ')} tried`, `${untested.join(', ')} not tried`, {
            severity: 'warn',
            code: 'TLS_PROTOCOL_UNTESTED',
            message: `${untested.join(', ')} could not be offered by this machine's TLS library, so whether ${where} accepts ${untested.length === 1 ? 'it' : 'them'} is unknown`,
          }),
        );
      }
    }

    return {
      observations: obs,
      metrics: { daysRemaining, protocol: h.protocol, authorized: h.authorized },
      data: {
        applicable: true,
        host,
        port,
        servername,
        protocol: h.protocol,
        subject,
        issuer,
        validFrom: cert.valid_from,
        validTo: cert.valid_to,
        daysRemaining,
        authorized: h.authorized,
        authorizationError: h.authorizationError ?? null,
        selfSigned,
        hostnameMatch: idErr === undefined,
        protocols,
      },
      summary: `${h.protocol ?? '?'}, ${daysRemaining ?? '?'} days left${h.authorized ? '' : `, ${h.authorizationError}`}`,
    };
  },
});
