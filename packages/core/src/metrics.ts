import client from "prom-client";

/** One registry per process; every service registers its counters here and the API serves it at /metrics. */
export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

const counters = new Map<string, client.Counter<string>>();
const histograms = new Map<string, client.Histogram<string>>();
const gauges = new Map<string, client.Gauge<string>>();

export function counter(name: string, help: string, labelNames: string[] = []): client.Counter<string> {
  let c = counters.get(name);
  if (!c) {
    c = new client.Counter({ name, help, labelNames, registers: [registry] });
    counters.set(name, c);
  }
  return c;
}

export function histogram(name: string, help: string, labelNames: string[] = [], buckets?: number[]): client.Histogram<string> {
  let h = histograms.get(name);
  if (!h) {
    h = new client.Histogram({ name, help, labelNames, registers: [registry], ...(buckets ? { buckets } : {}) });
    histograms.set(name, h);
  }
  return h;
}

export function gauge(name: string, help: string, labelNames: string[] = []): client.Gauge<string> {
  let g = gauges.get(name);
  if (!g) {
    g = new client.Gauge({ name, help, labelNames, registers: [registry] });
    gauges.set(name, g);
  }
  return g;
}
