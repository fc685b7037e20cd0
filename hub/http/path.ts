/**
 * A request path must decode (a malformed `%` escape, or escaped bytes that are not UTF-8, is refused) and its
 * decoded form may hold neither a NUL character nor a `..` segment: nothing the hub serves needs one, and the
 * libraries under it (the router's parameter decoding, the static file server) would otherwise throw.
 */

/** Why a request path (as received, still %-encoded) cannot be served; null when it is fine. */
export function pathProblem(rawPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return "The address contains a malformed % escape";
  }
  if (decoded.includes("\u0000")) return "The address contains a NUL character (%00)";
  if (decoded.split(/[/\\]/).includes("..")) return "The address contains a '..' segment";
  return null;
}
