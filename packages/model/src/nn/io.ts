import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { ModelConfig } from "./config.ts";
import { weightSpecs, type RawWeights } from "./weights.ts";

export const WEIGHTS_JSON = "weights.json";
export const WEIGHTS_BIN = "weights.bin";

const WeightsIndex = z.object({
  format: z.literal("finsentry-weights/1"),
  config: ModelConfig,
  /** Offsets and lengths count float32 elements into weights.bin. */
  tensors: z.array(
    z.object({
      name: z.string().min(1),
      shape: z.array(z.number().int().nonnegative()),
      offset: z.number().int().nonnegative(),
      length: z.number().int().nonnegative(),
    }),
  ),
});

/** Write weights.json (config + tensor index) and weights.bin (little-endian float32, concatenated). */
export async function saveWeights(dir: string, config: ModelConfig, raw: RawWeights): Promise<void> {
  const tensors: z.infer<typeof WeightsIndex>["tensors"] = [];
  let offset = 0;
  for (const [name, { shape, data }] of Object.entries(raw)) {
    tensors.push({ name, shape, offset, length: data.length });
    offset += data.length;
  }
  const bin = new Float32Array(offset);
  for (const t of tensors) bin.set(raw[t.name]!.data, t.offset);
  const index: z.infer<typeof WeightsIndex> = { format: "finsentry-weights/1", config, tensors };
  await writeFile(join(dir, WEIGHTS_JSON), JSON.stringify(index, null, 1));
  await writeFile(join(dir, WEIGHTS_BIN), new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength));
}

/**
 * Read and validate weights: the index against its schema, every tensor the config requires present with the right
 * shape, and the binary long enough. Extra training-only tensors (e.g. `mlm.b`) are kept.
 */
export async function loadWeights(dir: string): Promise<{ config: ModelConfig; raw: RawWeights }> {
  const index = WeightsIndex.parse(JSON.parse(await readFile(join(dir, WEIGHTS_JSON), "utf8")));
  const buf = await readFile(join(dir, WEIGHTS_BIN));
  if (buf.byteLength % 4 !== 0) throw new Error(`${WEIGHTS_BIN}: size ${buf.byteLength} is not a multiple of 4`);
  // Copy into an aligned buffer: Buffer slices may start at an offset that is not a multiple of 4.
  const all = new Float32Array(new Uint8Array(buf).buffer);
  const raw: RawWeights = {};
  for (const t of index.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.length) throw new Error(`weight ${t.name}: shape [${t.shape}] has ${n} elements, index says ${t.length}`);
    if (t.offset + t.length > all.length) throw new Error(`weight ${t.name}: extends past the end of ${WEIGHTS_BIN}`);
    raw[t.name] = { shape: t.shape, data: all.slice(t.offset, t.offset + t.length) };
  }
  for (const sp of weightSpecs(index.config)) {
    const got = raw[sp.name];
    if (!got) throw new Error(`weights: missing tensor ${sp.name}`);
    if (got.shape.join(",") !== sp.shape.join(",")) {
      throw new Error(`weights: ${sp.name} has shape [${got.shape}], config needs [${sp.shape}]`);
    }
  }
  return { config: index.config, raw };
}
