import { randomBytes } from "node:crypto";

/** Opaque random ids with a type prefix (`wh_`, `msg_`), URL- and header-safe. */
export function newId(prefix: string): string {
  return prefix + randomBytes(16).toString("base64url");
}
