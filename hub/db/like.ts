/**
 * A search word as a literal inside Prisma's `contains` / `startsWith`, which PostgreSQL runs as LIKE/ILIKE
 * without escaping: `%` and `_` would be wildcards and `\` the escape character. Escaped here with LIKE's
 * default escape (`\`), a search for "residen_" finds only addresses that contain "residen_".
 */
export function likeLiteral(word: string): string {
  return word.replace(/[\\%_]/g, (c) => `\\${c}`);
}
