import { useSearchParams } from "@solidjs/router";

/** A search param's value (the first, if repeated), or undefined when missing or empty. */
export const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) || undefined;

/** A form's text value, trimmed, or undefined when empty. */
export const formText = (data: FormData, name: string) => String(data.get(name) ?? "").trim() || undefined;

/** A query string from the current filters plus an offset (empty values left out). */
function searchHref(path: string, params: Record<string, string | undefined>, offset: number): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  if (offset > 0) q.set("offset", String(offset));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * A paged list's filters and offset, kept in the URL's search params: `setFilters` takes them from a
 * submitted form (back to the first page), `href` links to another page of the same results.
 */
export function useListSearch<K extends string>(path: string, keys: readonly K[]) {
  const [params, setParams] = useSearchParams();
  const filters = () =>
    Object.fromEntries(keys.map((k) => [k, one(params[k])])) as Record<K, string | undefined>;
  const offset = () => Math.max(0, Number(one(params.offset)) || 0);
  const setFilters = (form: FormData) =>
    setParams({ ...Object.fromEntries(keys.map((k) => [k, formText(form, k)])), offset: undefined });
  const href = (o: number) => searchHref(path, filters(), o);
  return { filters, offset, setFilters, href };
}
