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
 * The credentials carried by a URL, in every form they may be printed in: the password as written (percent-encoded),
 * decoded, and re-encoded; the user name too when a password goes with it (it is often a token on its own).
 */
export function urlCredentials(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [];
  }
  const out = new Set<string>();
  for (const part of [u.password, u.password ? u.username : '']) {
    if (!part) continue;
    out.add(part);
    try {
      const decoded = decodeURIComponent(part);
      out.add(decoded).add(encodeURIComponent(decoded));
    } catch {
      // a malformed escape: the raw form is what gets printed
    }
  }
  return [...out];
}
