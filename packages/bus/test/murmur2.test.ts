import { createRequire } from "node:module";
import { Partitioners, type PartitionMetadata } from "kafkajs";
import { describe, expect, it } from "vitest";
import { JavaCompatiblePartitioner, murmur2 } from "../src/murmur2.ts";

// kafkajs' own (Long-based) murmur2, which the fast one replaces.
const kafkajsMurmur2 = createRequire(import.meta.url)("kafkajs/src/producer/partitioners/default/murmur2.js") as (
  k: Buffer | string,
) => number;

/** Deterministic pseudo-random keys: ASCII, multi-byte UTF-8 and raw bytes, lengths 0–63 (every remainder mod 4). */
function keys(n: number): (string | Buffer)[] {
  let x = 12345;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: n }, (_, i) => {
    const len = i % 64;
    if (i % 3 === 2) return Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
    const alphabet = i % 3 === 0 ? "abcdefghijklmnopqrstuvwxyz0123456789-" : "aé€😀Z9 ";
    return Array.from({ length: len }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join("");
  });
}

const meta = (n: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));

describe("murmur2 partitioner", () => {
  it("hashes as the Java client does (Apache Kafka's UtilsTest cases)", () => {
    expect(murmur2("21")).toBe(-973932308);
    expect(murmur2("foobar")).toBe(-790332482);
    expect(murmur2("a-little-bit-long-string")).toBe(-985981536);
    expect(murmur2("a-little-bit-longer-string")).toBe(-1486304829);
    expect(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")).toBe(-58897971);
    expect(murmur2(Buffer.from("abc"))).toBe(479470107);
  });

  it("agrees with kafkajs' murmur2 on 3,000 keys of every length remainder, text and bytes", () => {
    const differ = keys(3000).filter((k) => murmur2(k) !== kafkajsMurmur2(k));
    expect(differ).toEqual([]);
  });

  it("places keyed messages where kafkajs' DefaultPartitioner does, and honours an explicit partition", () => {
    const ours = JavaCompatiblePartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const [i, key] of keys(1000).entries()) {
      const args = { topic: "t", partitionMetadata: meta(1 + (i % 12)), message: { key, value: "v" } };
      expect(ours(args)).toBe(theirs(args));
    }
    expect(ours({ topic: "t", partitionMetadata: meta(3), message: { key: "k", value: "v", partition: 2 } })).toBe(2);
  });

  it("spreads messages without a key over the partitions that have a leader", () => {
    const ours = JavaCompatiblePartitioner();
    const seen = new Map<number, number>();
    for (let i = 0; i < 60; i++) {
      const p = ours({ topic: "t", partitionMetadata: meta(4, [1]), message: { value: "v" } });
      seen.set(p, (seen.get(p) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual([0, 2, 3]);
    expect([...seen.values()]).toEqual([20, 20, 20]);
  });
});
