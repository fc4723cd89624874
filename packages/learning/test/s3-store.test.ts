import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Writable } from "node:stream";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadScorer } from "@finsentry/model";
import { defaultModelStore, DiskModelStore, loadS3StoreConfig, S3ModelStore } from "../src/index.ts";

// A real S3-compatible server (s3rver, a devDependency) on an ephemeral loopback port. If it cannot be loaded the
// suite is skipped with the reason printed — nothing else skips it.
const s3rver = await import("s3rver").then(
  (m) => ({ S3rver: m.default, reason: null as string | null }),
  (err: Error) => ({ S3rver: null, reason: `skipped: the S3-compatible test server (npm s3rver) cannot be loaded: ${err.message}` }),
);
if (s3rver.reason) console.warn(s3rver.reason);

const BUNDLED = fileURLToPath(new URL("../../../models/default", import.meta.url));
const BUCKET = "finsentry-models";
const CREDS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

async function files(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const name = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await files(dir, name)));
    else out.push(name);
  }
  return out.sort();
}

describe.skipIf(!s3rver.S3rver)("S3ModelStore on a local S3-compatible server (s3rver)", () => {
  let server: { close(): Promise<void> };
  let endpoint: string;
  let work: string;
  let raw: S3Client;
  let env: Record<string, string>;
  const store = (cacheName = "cache") => new S3ModelStore(loadS3StoreConfig(env), { cacheDir: join(work, cacheName) });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "finsentry-s3-"));
    const srv = new s3rver.S3rver!({
      address: "127.0.0.1",
      port: 0,
      silent: true,
      directory: join(work, "server"),
      configureBuckets: [{ name: BUCKET }],
    });
    const addr = await srv.run();
    server = srv;
    endpoint = `http://127.0.0.1:${addr.port}`;
    env = {
      MODEL_STORE: `s3://${BUCKET}/finsentry/models`,
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: "true",
      S3_REGION: "us-east-1",
      ...CREDS,
    };
    raw = new S3Client({
      endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
  });
  afterAll(async () => {
    raw?.destroy();
    await server?.close();
    await rm(work, { recursive: true, force: true });
  });

  it("puts a model directory as a prefix of objects, downloads identical bytes, and the scorer loads and scores from it", async () => {
    const s = store();
    const uri = await s.put("bundled-v1", BUNDLED);
    expect(uri).toBe(`s3://${BUCKET}/finsentry/models/bundled-v1`);
    const dir = await s.localDir(uri);
    expect(dir.startsWith(join(work, "cache"))).toBe(true);
    const names = await files(BUNDLED);
    expect(await files(dir)).toEqual(names);
    for (const n of names) expect((await readFile(join(dir, n))).equals(await readFile(join(BUNDLED, n))), n).toBe(true);

    // Each file is its own object under the version's prefix.
    const onnx = await raw.send(new GetObjectCommand({ Bucket: BUCKET, Key: "finsentry/models/bundled-v1/model.onnx" }));
    expect(Buffer.from(await onnx.Body!.transformToByteArray()).equals(await readFile(join(BUNDLED, "model.onnx")))).toBe(true);

    const scorer = await loadScorer(dir);
    const [out] = await scorer.score(["Acme Corp shares plunge 30% after a profit warning and the CEO resigns"]);
    await scorer.close();
    expect(out).toBeDefined();
    expect(["bearish", "neutral", "bullish"]).toContain(out!.sentiment.label);
    expect(out!.sentiment.label).toBe("bearish");

    // Another host (an empty cache) gets the same bytes; a second call on this host reuses the verified copy.
    const other = await store("cache-2").localDir(uri);
    for (const n of names) expect((await readFile(join(other, n))).equals(await readFile(join(BUNDLED, n))), n).toBe(true);
    expect(await s.localDir(uri)).toBe(dir);
  });

  it("keeps versions immutable: the same contents again is a no-op, other contents under the id are refused", async () => {
    const s = store();
    const uri = await s.put("immutable-v1", BUNDLED);
    expect(await s.put("immutable-v1", BUNDLED)).toBe(uri);

    const changed = join(work, "changed");
    await cp(BUNDLED, changed, { recursive: true });
    await writeFile(join(changed, "MODEL_CARD.md"), "# another card\n");
    await expect(s.put("immutable-v1", changed)).rejects.toThrow(/already exists with other contents/);

    const card = await raw.send(new GetObjectCommand({ Bucket: BUCKET, Key: "finsentry/models/immutable-v1/MODEL_CARD.md" }));
    expect(Buffer.from(await card.Body!.transformToByteArray()).equals(await readFile(join(BUNDLED, "MODEL_CARD.md")))).toBe(true);

    // A directory that fails its own manifest is never uploaded.
    await writeFile(join(changed, "model.onnx"), Buffer.from("not the model"));
    await expect(s.put("immutable-v2", changed)).rejects.toThrow(/model\.onnx sha256 does not match the manifest/);
    await expect(s.localDir(s.uriOf("immutable-v2"))).rejects.toThrow(/no complete model version/);
    await expect(s.put("../escape", BUNDLED)).rejects.toThrow(/invalid model id/);
  });

  it("detects a corrupted object on download (against the version index and manifest.json) and leaves nothing in the cache", async () => {
    const s = store("cache-corrupt");
    const uri = await s.put("corrupt-v1", BUNDLED);
    const key = "finsentry/models/corrupt-v1/model.onnx";
    const bytes = Buffer.from(await (await raw.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray());
    const bad = Buffer.from(bytes);
    bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 0xff; // one flipped byte, same size
    await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bad }));
    await expect(s.localDir(uri)).rejects.toThrow(/corrupt-v1\/model\.onnx is corrupted/);
    expect(await stat(join(work, "cache-corrupt", BUCKET, "finsentry", "models", "corrupt-v1")).catch(() => null)).toBeNull();
    expect(
      (await readdir(join(work, "cache-corrupt", BUCKET, "finsentry", "models")).catch(() => [])).filter((n) => n.includes("partial")),
    ).toEqual([]);

    // Even with the version index rewritten to match the tampered object, manifest.json's hash still catches it.
    const idxKey = "finsentry/models/corrupt-v1/.finsentry-version.json";
    const idx = JSON.parse(
      Buffer.from(await (await raw.send(new GetObjectCommand({ Bucket: BUCKET, Key: idxKey }))).Body!.transformToByteArray()).toString(),
    );
    const { createHash } = await import("node:crypto");
    for (const f of idx.files) if (f.name === "model.onnx") f.sha256 = createHash("sha256").update(bad).digest("hex");
    await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: idxKey, Body: JSON.stringify(idx) }));
    await expect(s.localDir(uri)).rejects.toThrow(/model\.onnx is corrupted \(sha256 does not match manifest\.json\)/);

    // Restored object: the download succeeds.
    await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes }));
    for (const f of idx.files) if (f.name === "model.onnx") f.sha256 = createHash("sha256").update(bytes).digest("hex");
    await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: idxKey, Body: JSON.stringify(idx) }));
    const dir = await s.localDir(uri);
    expect((await readFile(join(dir, "model.onnx"))).equals(bytes)).toBe(true);

    // A damaged local copy is not trusted: it is fetched again.
    await writeFile(join(dir, "tokenizer.json"), "{}");
    expect(await s.localDir(uri)).toBe(dir);
    expect((await readFile(join(dir, "tokenizer.json"))).equals(await readFile(join(BUNDLED, "tokenizer.json")))).toBe(true);
  });

  it("remove deletes the version's objects and its cached copy", async () => {
    const s = store("cache-rm");
    const uri = await s.put("removed-v1", BUNDLED);
    const dir = await s.localDir(uri);
    await s.remove(uri);
    await expect(s.localDir(uri)).rejects.toThrow(/no complete model version/);
    await expect(raw.send(new GetObjectCommand({ Bucket: BUCKET, Key: "finsentry/models/removed-v1/model.onnx" }))).rejects.toThrow();
    expect(await stat(dir).catch(() => null)).toBeNull();

    // An interrupted put (objects uploaded, index not yet written) is no version; putting it again completes it.
    await s.put("interrupted-v1", BUNDLED);
    await raw.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "finsentry/models/interrupted-v1/.finsentry-version.json" }));
    await expect(s.localDir(s.uriOf("interrupted-v1"))).rejects.toThrow(/no complete model version/);
    const again = await s.put("interrupted-v1", BUNDLED);
    expect((await readFile(join(await s.localDir(again), "weights.bin"))).equals(await readFile(join(BUNDLED, "weights.bin")))).toBe(true);
  });

  it("never logs or reveals the secret key: wrong credentials fail without it, and the store serialises without it", async () => {
    const secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
    const lines: string[] = [];
    const log = pino({ level: "info" }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    // s3rver checks the access key id (not SigV4 signatures): an unknown key id makes every request fail.
    const s = defaultModelStore(log, {
      ...env,
      AWS_ACCESS_KEY_ID: "AKIAUNKNOWNKEY",
      AWS_SECRET_ACCESS_KEY: secret,
      MODEL_CACHE_DIR: join(work, "cache-secret"),
    });
    expect(s).toBeInstanceOf(S3ModelStore);
    log.info({ store: s }, "store ready");
    const err = await s.put("secret-v1", BUNDLED).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message, "the server must refuse unknown credentials").toMatch(/Access Key Id/);
    log.error({ err }, "put failed");
    const all = lines.join("\n") + String(err?.message) + String(err?.stack) + JSON.stringify(s);
    expect(all).toContain(`s3://${BUCKET}/finsentry/models`);
    expect(all).not.toContain(secret);

    // Invalid settings name the variable, not the value.
    expect(() => loadS3StoreConfig({ MODEL_STORE: "s3://Bad_Bucket", AWS_SECRET_ACCESS_KEY: secret })).toThrow(
      /MODEL_STORE: must be s3:\/\/bucket/,
    );
    try {
      loadS3StoreConfig({ MODEL_STORE: `s3://${BUCKET}`, AWS_SECRET_ACCESS_KEY: secret });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/must be set together/);
      expect((e as Error).message).not.toContain(secret);
    }
    expect(() => loadS3StoreConfig({ MODEL_STORE: `s3://${BUCKET}`, S3_ENDPOINT: `http://user:${secret}@127.0.0.1:9000` })).toThrow(
      /S3_ENDPOINT: must not carry credentials/,
    );
    expect(() => loadS3StoreConfig({ MODEL_STORE: `s3://${BUCKET}`, S3_FORCE_PATH_STYLE: "yes" })).toThrow(/S3_FORCE_PATH_STYLE/);
    // Without MODEL_STORE the disk store serves, as before.
    expect(defaultModelStore(undefined, { MODEL_REGISTRY_DIR: join(work, "disk") })).toBeInstanceOf(DiskModelStore);
  });
});
