import { createHmac, randomBytes } from "node:crypto";

const PREFIX = "whsec_";

/** A fresh Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return PREFIX + randomBytes(32).toString("base64");
}

/** The HMAC key: the base64-decoded part after `whsec_`. */
export function secretKeyBytes(secret: string): Buffer {
  if (!secret.startsWith(PREFIX)) throw new Error("signing secret must start with whsec_");
  const key = Buffer.from(secret.slice(PREFIX.length), "base64");
  if (key.length < 24) throw new Error("signing secret is too short");
  return key;
}

/** One `v1,<base64 HMAC-SHA256>` over `${id}.${timestamp}.${body}`. */
export function signOne(secret: string, id: string, timestampSec: number, body: string): string {
  const mac = createHmac("sha256", secretKeyBytes(secret)).update(`${id}.${timestampSec}.${body}`).digest("base64");
  return `v1,${mac}`;
}

/** The `webhook-signature` value: one signature per active secret, space-separated (rotation overlap). */
export function signatureHeader(secrets: string[], id: string, timestampSec: number, body: string): string {
  return secrets.map((s) => signOne(s, id, timestampSec, body)).join(" ");
}

/** All headers of one attempt. The timestamp is the attempt's, so receivers can reject stale replays. */
export function webhookHeaders(secrets: string[], id: string, at: Date, body: string): Record<string, string> {
  const timestamp = Math.floor(at.getTime() / 1000);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatureHeader(secrets, id, timestamp, body),
  };
}
