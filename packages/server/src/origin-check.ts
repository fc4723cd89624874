import type { FastifyRequest } from "fastify";
import { z } from "zod";

/** Methods that change nothing: a cross-site page may cause them, they must not matter. */
export const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** `ALLOWED_ORIGINS`: extra origins (comma-separated, e.g. the public URL behind a proxy that rewrites Host). */
export const AllowedOrigins = z
  .string()
  .default("")
  .transform((s) =>
    s
      .split(",")
      .map((o) => o.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z.string().refine((o) => {
        try {
          return new URL(o).origin === o;
        } catch {
          return false;
        }
      }, "each entry must be an origin such as https://finsentry.example.com (scheme, host, optional port; no path)"),
    ),
  );

/** The origin a browser says the request came from: Origin, else the Referer's origin; null when neither is usable. */
export function callerOrigin(req: FastifyRequest): string | null {
  const origin = req.headers.origin;
  if (typeof origin === "string" && origin !== "null") return origin;
  const referer = req.headers.referer;
  if (typeof referer !== "string") return null;
  try {
    return new URL(referer).origin;
  } catch {
    return null;
  }
}

/**
 * Whether `origin` is this server as the browser addressed it (same host and port as the Host header: scheme is
 * left out because a TLS-terminating proxy makes the request look like plain http here) or an allowed origin.
 */
export function isOwnOrigin(req: FastifyRequest, origin: string, allowed: readonly string[]): boolean {
  if (allowed.includes(origin)) return true;
  try {
    const host = req.headers.host;
    if (typeof host !== "string") return false;
    const o = new URL(origin);
    // Parsed with the origin's scheme so that default ports compare equal (Host "x:443" vs Origin "https://x").
    return new URL(`${o.protocol}//${host}`).host === o.host;
  } catch {
    return false;
  }
}
