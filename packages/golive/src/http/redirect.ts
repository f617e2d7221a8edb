/**
 * What may follow a redirect. A target's headers (its Authorization, an API key, a session cookie) are meant for
 * the target's origin only: a 302 to another origin must not carry them, nor any header golive treats as a
 * credential, whatever its case (`Authorization` and `authorization` are the same header).
 */
import { isSensitiveHeader } from '../core/redact.ts';

/**
 * Headers for the next hop of a redirect. Same origin: unchanged. Another origin: every target default header
 * (by name, case-insensitively) and every sensitive header are dropped; `dropped` names them (lower case, sorted)
 * for the evidence, values never.
 */
export function headersForRedirect(
  headers: Readonly<Record<string, string>>,
  from: URL,
  to: URL,
  targetHeaderNames: readonly string[],
): { kept: Record<string, string>; dropped: string[] } {
  if (from.origin === to.origin) return { kept: { ...headers }, dropped: [] };
  const target = new Set(targetHeaderNames.map((n) => n.toLowerCase()));
  const kept: Record<string, string> = {};
  const dropped = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    const n = name.toLowerCase();
    if (target.has(n) || isSensitiveHeader(n)) dropped.add(n);
    else kept[name] = value;
  }
  return { kept, dropped: [...dropped].sort() };
}
