/**
 * URL userinfo (`https://user:password@host`) is a credential wherever it appears: a `--url`, `PROD_URL`, a URL a
 * managed target prints. Nothing golive displays or stores may carry it, so every URL shown goes through here.
 */

/**
 * `scheme://userinfo@`: the userinfo is everything between `//` and the first `@` before the host ends. The
 * class stops at `/`, so each scan ends at the next `://` at the latest: linear in the text.
 */
const USERINFO_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>\\]+@/gi;

/** Removes the userinfo of one URL (`https://u:p@x/` → `https://x/`); text that is not a URL is scanned as text. */
export function stripUserinfo(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return url;
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return stripUserinfoInText(url);
  }
}

/** Removes the userinfo of every URL found in a text (log lines, error messages, bodies). */
export function stripUserinfoInText(text: string): string {
  if (!text.includes('@')) return text;
  return text.replace(USERINFO_IN_TEXT, '$1');
}

/**
 * The password of a URL, in every form it may be printed in: as written (percent-encoded), decoded, and
 * re-encoded. Not the user name: names such as `admin` or `golive` are not secrets, and redacting them everywhere
 * would destroy evidence (userinfo is stripped from URLs as a whole anyway).
 */
export function urlCredentials(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [];
  }
  if (!u.password) return [];
  const out = new Set<string>([u.password]);
  try {
    const decoded = decodeURIComponent(u.password);
    out.add(decoded).add(encodeURIComponent(decoded));
  } catch {
    // a malformed escape: the raw form is what gets printed
  }
  return [...out];
}
