import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import type { AllowPrivate } from "./config.ts";

/** `public` is always allowed; the others only as far as the AllowPrivate setting reaches. */
export type AddressClass = "public" | "loopback" | "private" | "special";
export interface ResolvedAddress {
  address: string;
  family: number;
}
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

/** A target the guard refuses: final, retrying will not help (unlike a DNS failure). */
export class SsrfError extends Error {
  override name = "SsrfError";
}

/** Cloud metadata endpoints, refused even where their range would otherwise be allowed (except `all`). */
const METADATA = new Set(["169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192"]);

const ALLOWED: Record<AllowPrivate, ReadonlySet<AddressClass>> = {
  none: new Set(["public"]),
  loopback: new Set(["public", "loopback"]),
  private: new Set(["public", "loopback", "private"]),
  all: new Set(["public", "loopback", "private", "special"]),
};

/**
 * Classifies an IP; IPv4 embedded in IPv6 (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96) is judged as the IPv4. The
 * deprecated IPv4-compatible form ::a.b.c.d (URL parsers write it ::7f00:1) is refused as special: stacks differ in
 * where they send it, and ipaddr.js calls it unicast.
 */
export function classifyAddress(address: string): { cls: AddressClass; range: string } {
  if (!ipaddr.isValid(address)) return { cls: "special", range: "invalid" };
  let ip: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.parse(address);
  if (ip.kind() === "ipv6") {
    const v6 = ip as ipaddr.IPv6;
    const r = v6.range();
    const p = v6.parts;
    if (r === "unicast" && p.slice(0, 6).every((x) => x === 0)) return { cls: "special", range: "ipv4Compatible" };
    if (r === "ipv4Mapped") ip = v6.toIPv4Address();
    else if (r === "rfc6052" || r === "rfc6145") {
      ip = new ipaddr.IPv4([p[6]! >> 8, p[6]! & 255, p[7]! >> 8, p[7]! & 255]);
    }
  }
  if (METADATA.has(ip.toString())) return { cls: "special", range: "metadata" };
  const range = ip.range();
  if (range === "unicast") return { cls: "public", range };
  if (range === "loopback") return { cls: "loopback", range };
  if (range === "private" || range === "uniqueLocal" || range === "carrierGradeNat") return { cls: "private", range };
  // link-local, multicast, unspecified, broadcast, reserved, 6to4/teredo tunnels, …
  return { cls: "special", range };
}

export function isAddressAllowed(address: string, allow: AllowPrivate): boolean {
  return ALLOWED[allow].has(classifyAddress(address).cls);
}

export const systemResolver: Resolver = async (host) => lookup(host, { all: true, verbatim: true });

/**
 * Validates a webhook URL and resolves it to the addresses a request may connect to. Every resolved address must be
 * allowed (a name answering with one public and one private address is refused). Run at subscription time and again
 * before each attempt, and the request is then pinned to these addresses, so DNS rebinding cannot slip past.
 * Throws SsrfError for refusals; DNS failures are thrown as they come (transient).
 */
export async function checkTarget(
  rawUrl: string,
  allow: AllowPrivate,
  resolve: Resolver = systemResolver,
): Promise<{ url: URL; addresses: ResolvedAddress[] }> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new SsrfError("not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new SsrfError("only http and https URLs are allowed");
  if (url.username || url.password) throw new SsrfError("credentials in the URL are not allowed; verify the signature instead");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const literal = isIP(host);
  const addresses = literal ? [{ address: host, family: literal }] : await resolve(host);
  if (addresses.length === 0) throw Object.assign(new Error(`${host} did not resolve`), { code: "ENOTFOUND" });
  for (const a of addresses) {
    if (!isAddressAllowed(a.address, allow)) {
      const { range } = classifyAddress(a.address);
      throw new SsrfError(`${literal ? "address" : `${host} resolves to`} ${a.address} (${range}), which is not allowed`);
    }
  }
  return { url, addresses };
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | ResolvedAddress[], family?: number) => void;

/** A `lookup` for http.request that only ever answers with the already-checked addresses. */
export function pinnedLookup(addresses: ResolvedAddress[]) {
  return (_host: string, options: unknown, callback: LookupCallback): void => {
    const opts = (typeof options === "object" && options ? options : { family: options }) as { family?: unknown; all?: boolean };
    const family = opts.family === 4 || opts.family === "IPv4" ? 4 : opts.family === 6 || opts.family === "IPv6" ? 6 : 0;
    const list = family ? addresses.filter((a) => a.family === family) : addresses;
    const first = list[0];
    if (!first) return callback(Object.assign(new Error("no checked address of the requested family"), { code: "ENOTFOUND" }), "", 0);
    if (opts.all) callback(null, list);
    else callback(null, first.address, first.family);
  };
}
