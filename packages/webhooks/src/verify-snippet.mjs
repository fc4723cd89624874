// Verify a finsentry webhook (Standard Webhooks). Plain Node >= 18, no dependencies.
import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * secret:  the endpoint's signing secret, "whsec_…" (shown once when the webhook was created or rotated)
 * headers: the request headers, lower-case names (as Node's http module gives them)
 * rawBody: the body exactly as received, Buffer or string (never re-serialised JSON)
 * Returns the parsed event { type, timestamp, data }; throws when the request is not authentic.
 */
export function verifyWebhook(secret, headers, rawBody, toleranceSec = 300) {
  const id = headers["webhook-id"];
  const ts = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (typeof id !== "string" || typeof ts !== "string" || typeof signatures !== "string") {
    throw new Error("missing webhook-id, webhook-timestamp or webhook-signature header");
  }
  // Rejects replays of old captured requests.
  if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > toleranceSec) {
    throw new Error("webhook-timestamp is outside the tolerance");
  }
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${ts}.`).update(rawBody).digest();
  // Several signatures appear while a secret is being rotated; any one that matches is enough.
  const valid = signatures.split(" ").some((entry) => {
    const [version, b64] = entry.split(",");
    if (version !== "v1" || !b64) return false;
    const given = Buffer.from(b64, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!valid) throw new Error("no valid webhook signature");
  // Deliveries are at-least-once: remember `id` (the webhook-id) and ignore repeats.
  return JSON.parse(Buffer.isBuffer(rawBody) ? rawBody.toString("utf8") : rawBody);
}
