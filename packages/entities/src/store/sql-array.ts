/**
 * A text[] parameter as one Postgres array literal (`{"a","b"}`): drizzle would spread a JS array into a
 * parenthesised list of parameters, which neither `any(…)` nor the 65535-parameter limit likes.
 */
export const textArray = (list: readonly string[]): string => `{${list.map((s) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(",")}}`;

/** The rows of a raw `execute` (node-postgres and PGlite both answer `{ rows }`). */
export const rowsOf = <T>(r: unknown): T[] => (Array.isArray(r) ? (r as T[]) : ((r as { rows?: T[] }).rows ?? []));
