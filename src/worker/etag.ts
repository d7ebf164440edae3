/**
 * Handout ETags: `"<version>"`, so a node that holds the current version is answered 304 from
 * memory, without the cluster building a body.
 */
export const etagOf = (version: number): string => `"${version}"`;

/** True when an If-None-Match value names `etag` (weak or strong) or is `*`. */
export function etagMatches(header: string | null | undefined, etag: string): boolean {
  if (!header) return false;
  for (const part of header.split(",")) {
    const tag = part.trim();
    if (tag === "*" || tag === etag || tag === `W/${etag}`) return true;
  }
  return false;
}
