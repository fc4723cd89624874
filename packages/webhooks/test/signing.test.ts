import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { generateSecret, signatureHeader, signOne, webhookHeaders } from "../src/signing.ts";
import { openSecret, sealSecret } from "../src/secret-box.ts";
import { verifyWebhook } from "../src/verify-snippet.mjs";

describe("Standard Webhooks signing", () => {
  it("matches the specification's published test vector", () => {
    // From the Standard Webhooks spec; the key is the base64 after whsec_.
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    expect(signOne(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')).toBe(
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    );
  });

  it("matches an HMAC computed independently with node:crypto", () => {
    const key = Buffer.alloc(32, 7);
    const secret = `whsec_${key.toString("base64")}`;
    const body = '{"type":"alert.fired","timestamp":"2025-01-01T00:00:00.000Z","data":{"x":"ü"}}';
    const expected = createHmac("sha256", key).update(`msg_abc.1735689600.${body}`).digest("base64");
    expect(signOne(secret, "msg_abc", 1735689600, body)).toBe(`v1,${expected}`);
    const h = webhookHeaders([secret], "msg_abc", new Date(1735689600_999), body);
    expect(h).toEqual({ "webhook-id": "msg_abc", "webhook-timestamp": "1735689600", "webhook-signature": `v1,${expected}` });
  });

  it("signs with every active secret, space-separated, and the reference library accepts each", () => {
    const [a, b] = [generateSecret(), generateSecret()];
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(6), "base64")).toHaveLength(32);
    const body = JSON.stringify({ type: "webhook.test", timestamp: new Date().toISOString(), data: {} });
    const headers = webhookHeaders([a, b], "msg_1", new Date(), body);
    const sigs = headers["webhook-signature"]!.split(" ");
    expect(sigs).toEqual([
      signOne(a, "msg_1", Number(headers["webhook-timestamp"]), body),
      signOne(b, "msg_1", Number(headers["webhook-timestamp"]), body),
    ]);
    expect(new Webhook(a).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(b).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow();
    expect(signatureHeader([a], "msg_1", 1, body)).not.toContain(" ");
  });
});

describe("the README's verification snippet", () => {
  const secret = generateSecret();
  const body = JSON.stringify({ type: "alert.fired", timestamp: new Date().toISOString(), data: { n: 1 } });
  const headers = webhookHeaders([secret], "msg_snip", new Date(), body);

  it("is quoted verbatim in the README", () => {
    const snippet = readFileSync(new URL("../src/verify-snippet.mjs", import.meta.url), "utf8");
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(readme).toContain(snippet.trim());
  });

  it("accepts an authentic request (string or Buffer body) and returns the event", () => {
    expect(verifyWebhook(secret, headers, body)).toEqual(JSON.parse(body));
    expect(verifyWebhook(secret, headers, Buffer.from(body))).toEqual(JSON.parse(body));
  });

  it("accepts when any one of several signatures matches (rotation overlap)", () => {
    const other = generateSecret();
    const both = webhookHeaders([other, secret], "msg_snip", new Date(), body);
    expect(verifyWebhook(secret, both, body)).toEqual(JSON.parse(body));
  });

  it("rejects a tampered body, a wrong secret, a stale timestamp and missing headers", () => {
    expect(() => verifyWebhook(secret, headers, body.replace("1", "2"))).toThrow(/signature/);
    expect(() => verifyWebhook(generateSecret(), headers, body)).toThrow(/signature/);
    const old = webhookHeaders([secret], "msg_snip", new Date(Date.now() - 10 * 60_000), body);
    expect(() => verifyWebhook(secret, old, body)).toThrow(/tolerance/);
    expect(() => verifyWebhook(secret, { ...headers, "webhook-id": undefined }, body)).toThrow(/missing/);
    expect(() => verifyWebhook(secret, { ...headers, "webhook-id": "msg_other" }, body)).toThrow(/signature/);
  });
});

describe("secret storage", () => {
  const key = Buffer.alloc(32, 1).toString("base64");

  it("seals with AES-256-GCM when a key is configured and opens it again", () => {
    const secret = generateSecret();
    const sealed = sealSecret(secret, key);
    expect(sealed).toMatch(/^enc:v1:/);
    expect(sealed).not.toContain(secret.slice(6));
    expect(openSecret(sealed, key)).toBe(secret);
  });

  it("stores plain without a key, and plain values stay readable once a key exists", () => {
    const secret = generateSecret();
    expect(sealSecret(secret, undefined)).toBe(secret);
    expect(openSecret(secret, key)).toBe(secret);
  });

  it("refuses to open a sealed secret without the key or with another key", () => {
    const sealed = sealSecret(generateSecret(), key);
    expect(() => openSecret(sealed, undefined)).toThrow(/WEBHOOK_SECRET_KEY/);
    expect(() => openSecret(sealed, Buffer.alloc(32, 2).toString("base64"))).toThrow();
  });
});
