import { describe, expect, it } from "vitest";
import { checkTarget, classifyAddress, isAddressAllowed, SsrfError, type Resolver } from "../src/ssrf.ts";

const fixed =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

describe("SSRF guard", () => {
  it("classifies addresses, including IPv4 hidden in IPv6", () => {
    const cases: [string, string][] = [
      ["8.8.8.8", "public"],
      ["2606:4700::1111", "public"],
      ["127.0.0.1", "loopback"],
      ["::1", "loopback"],
      ["::ffff:127.0.0.1", "loopback"],
      ["::ffff:7f00:1", "loopback"],
      ["10.1.2.3", "private"],
      ["172.16.0.1", "private"],
      ["192.168.1.1", "private"],
      ["100.64.0.1", "private"],
      ["fd00::1", "private"],
      ["::ffff:10.0.0.1", "private"],
      ["64:ff9b::a00:1", "private"],
      ["169.254.169.254", "special"],
      ["169.254.1.1", "special"],
      ["fe80::1", "special"],
      ["fd00:ec2::254", "special"],
      ["100.100.100.200", "special"],
      ["224.0.0.1", "special"],
      ["ff02::1", "special"],
      ["0.0.0.0", "special"],
      ["::", "special"],
      ["::7f00:1", "special"],
      ["::a00:1", "special"],
      ["::808:808", "special"],
      ["255.255.255.255", "special"],
      ["not-an-ip", "special"],
    ];
    for (const [ip, cls] of cases) expect(classifyAddress(ip).cls, ip).toBe(cls);
  });

  it("refuses private, loopback, link-local, metadata and mapped targets by default", async () => {
    for (const url of [
      "http://10.0.0.5/hook",
      "http://169.254.169.254/latest/meta-data/",
      "http://[::1]:8080/",
      "http://[::ffff:127.0.0.1]/",
      "http://127.0.0.1/",
      "http://[fd12::1]/",
      "http://100.64.1.1/",
      "http://0.0.0.0/",
      "http://[::127.0.0.1]/",
      "http://[::10.0.0.1]/",
    ]) {
      await expect(checkTarget(url, "none"), url).rejects.toBeInstanceOf(SsrfError);
    }
  });

  it("refuses a hostname that resolves to loopback (real resolver: localhost)", async () => {
    await expect(checkTarget("http://localhost:9/hook", "none")).rejects.toThrow(/localhost resolves to .* \(loopback\)/);
  });

  it("refuses a name if any of its addresses is internal", async () => {
    await expect(checkTarget("https://hooks.example.test/", "none", fixed("93.184.216.34", "10.0.0.1"))).rejects.toThrow(/10\.0\.0\.1/);
    await expect(checkTarget("https://hooks.example.test/", "none", fixed("93.184.216.34"))).resolves.toMatchObject({
      addresses: [{ address: "93.184.216.34" }],
    });
  });

  it("allows loopback only when configured, and wider ranges only at wider settings", async () => {
    await expect(checkTarget("http://localhost:9/hook", "loopback")).resolves.toBeTruthy();
    await expect(checkTarget("http://[::1]:9/", "loopback")).resolves.toBeTruthy();
    await expect(checkTarget("http://[::ffff:127.0.0.1]/", "loopback")).resolves.toBeTruthy();
    await expect(checkTarget("http://10.0.0.5/", "loopback")).rejects.toBeInstanceOf(SsrfError);
    // The deprecated IPv4-compatible form is never a loopback way in.
    await expect(checkTarget("http://[::127.0.0.1]/", "loopback")).rejects.toThrow(/ipv4Compatible/);
    await expect(checkTarget("http://10.0.0.5/", "private")).resolves.toBeTruthy();
    await expect(checkTarget("http://169.254.169.254/", "private")).rejects.toBeInstanceOf(SsrfError);
    expect(isAddressAllowed("169.254.169.254", "all")).toBe(true);
  });

  it("accepts only http and https, without credentials", async () => {
    await expect(checkTarget("ftp://93.184.216.34/x", "all")).rejects.toThrow(/http and https/);
    await expect(checkTarget("file:///etc/passwd", "all")).rejects.toThrow(/http and https/);
    await expect(checkTarget("http://user:pw@93.184.216.34/", "all")).rejects.toThrow(/credentials/);
    await expect(checkTarget("not a url", "all")).rejects.toThrow(/valid URL/);
  });

  it("passes DNS failures through as retryable errors, not refusals", async () => {
    const failing: Resolver = async () => {
      throw Object.assign(new Error("getaddrinfo ENOTFOUND nowhere.invalid"), { code: "ENOTFOUND" });
    };
    const err = await checkTarget("https://nowhere.invalid/", "none", failing).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(SsrfError);
    expect(err).toMatchObject({ code: "ENOTFOUND" });
  });
});
